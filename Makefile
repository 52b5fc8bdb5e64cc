# ptopt — PGXS build, plus the two commands a newcomer types: make demo, make test.

EXTENSION = ptopt
EXTVERSION = 1.0
MODULE_big = ptopt
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/core/*.c src/clob/*.c src/pg/*.c)))
DATA = $(EXTENSION)--$(EXTVERSION).sql
# Regression tests, in order: setup defines the helpers the others use.
REGRESS = setup gates space random objective warmstart privileges backtest tpe plot runs report study parallel llm asktell threads
REGRESS_OPTS = --load-extension=ptopt

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -Isrc/core -Isrc/clob -Isrc/pg $(shell pkg-config --cflags json-c libcurl 2>/dev/null)
PG_CFLAGS = -std=gnu11 -pthread -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare -Wno-cast-function-type -Wno-declaration-after-statement
SHLIB_LINK += $(shell pkg-config --libs json-c libcurl 2>/dev/null || echo -ljson-c -lcurl) -lm -pthread
EXTRA_CLEAN = results test/build bench/build

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
# No JIT bitcode: ptopt's hot loops are plain C and the .bc files only slow the build.
override with_llvm = no
include $(PGXS)
else
all install installcheck:
	@echo "PostgreSQL 15 server headers are missing: run 'make deps' (as root), or 'make demo' / 'make test'."
	@exit 1
endif

# PGXS does not track headers: rebuild every object when any header changes.
$(OBJS): $(wildcard src/core/*.h src/clob/*.h src/pg/*.h)

.PHONY: deps demo test unittest

# Install what is missing from Debian's packages (as root; a no-op when all is there).
deps:
	@test/install_deps.sh

# Build, install, and run a real search in a throwaway cluster, then show its trajectory.
demo: deps
	@$(MAKE) --no-print-directory all install
	@test/demo.sh

# Build, install, then every test: C unit tests, pg_regress, TAP; ends with "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all install
	@test/run_all.sh

# The C unit tests of src/core and src/clob alone.
unittest:
	@$(MAKE) --no-print-directory -C test run
