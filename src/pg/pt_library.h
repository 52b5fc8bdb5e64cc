/*
 * pt_library.h — which build of ptopt.so a process runs, so a worker never
 * works from a segment laid out by another build.
 *
 * A session keeps the library it loaded until it ends; installing a new
 * build (make install, a package upgrade) replaces the file, and a worker
 * started after that loads the new one.  The caller puts its stamp in the
 * segment it shares with the worker; the worker compares it with its own
 * before it reads anything else there.
 */
#ifndef PTOPT_PT_LIBRARY_H
#define PTOPT_PT_LIBRARY_H

#include "postgres.h"

/* The loaded library file's identity: device, inode and modification time. */
typedef struct PtLibraryStamp
{
	uint64		dev;
	uint64		ino;
	int64		mtime_sec;
	int64		mtime_nsec;
} PtLibraryStamp;

/* Record the stamp of the file this process just loaded (called from _PG_init). */
extern void PtLibraryStampInit(void);

/* This process's stamp (all zero when the file could not be identified). */
extern const PtLibraryStamp *PtLibraryStampOwn(void);

/* Raise: the process that laid out the segment runs another build of the library. */
extern void PtLibraryRaiseOtherBuild(const char *worker_kind) pg_attribute_noreturn();

/* Raise when the caller's stamp says it runs another build than this process. */
extern void PtLibraryStampCheck(const PtLibraryStamp *caller, const char *worker_kind);

#endif							/* PTOPT_PT_LIBRARY_H */
