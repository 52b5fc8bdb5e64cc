/*
 * llm_text.h — the filter that keeps held-out results out of anything a model reads.
 */
#ifndef PTOPT_LLM_TEXT_H
#define PTOPT_LLM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "pt_buf.h"

/*
 * True when text mentions a held-out result: "held-out", "held out",
 * "holdout" (any case, any dash or space between the words).
 */
extern bool PtTextMentionsHoldout(const char *text);

/*
 * Append text to buf with every clause that mentions a held-out result left
 * out (clauses end at ". ", "; " or a line end), new lines turned into
 * spaces, and at most max bytes kept (cut at a character boundary, "..."
 * appended when cut).
 */
extern void PtBufAppendTraining(PtBuf *buf, const char *text, size_t max);

#endif							/* PTOPT_LLM_TEXT_H */
