# freshet — one non-recursive Makefile (see README.md, "Building").
# Sources are found by wildcard: a new file in common/ or tests/unit/ needs no edit here.

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CC       ?= cc
PKGS     := hiredis libcurl libpq jansson libevent zlib yaml-0.1
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wold-style-definition -Wwrite-strings -Wpointer-arith -Wcast-qual -Wformat=2 \
            -Wundef -Wvla -Wimplicit-fallthrough -Wnull-dereference -fno-common
WERROR   ?= -Werror
# snprintf truncation is deliberate (bounded log fields, messages); gcc-only flag.
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1)),)
  WARN += -Wno-format-truncation
endif
OPT      ?= -O2 -g
SANITIZE ?=
ifneq ($(SANITIZE),)
  SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
  BUILD    ?= build-san
  BIN      ?= build-san/bin
else
  SANFLAGS :=
  BUILD    ?= build
  BIN      ?= bin
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?=
CPPFLAGS += -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DFRESHET_VERSION='"$(VERSION)"'
ALLCFLAGS = -std=c11 $(OPT) $(WARN) $(WERROR) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm
LDFLAGS  += $(SANFLAGS)
PREFIX   ?= /usr/local
# Quiet by default; `make V=1` shows every command.
Q        := $(if $(V),,@)

COMMON_SRC := $(wildcard common/*.c common/sources/*.c)
COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC)) \
              $(BUILD)/gen/migrations.o $(BUILD)/gen/schemas.o
LIB        := $(BUILD)/libfreshet.a

PROGRAMS   := scout processor refresher
CTL_SRC    := $(wildcard ctl/*.c)
FAKE_SRC   := $(wildcard tests/fakes/keepa/*.c)
FAKE_REPOS_SRC := $(wildcard tests/fakes/repos/*.c)
FAKE_LLM_SRC := $(wildcard tests/fakes/llm/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
INTEG_SRC  := $(wildcard tests/integration/*.c)
TOOL_SRC   := $(wildcard tests/harness/*.c tests/bench/*.c)
MIGRATIONS := $(sort $(wildcard schemas/[0-9][0-9][0-9]_*.sql))
JSONSCHEMAS := $(sort $(wildcard schemas/*.schema.json))

BINARIES := $(addprefix $(BIN)/freshet-,$(PROGRAMS)) $(BIN)/freshetctl $(BIN)/freshet-fake-keepa \
            $(BIN)/freshet-fake-repos $(BIN)/freshet-fake-llm
TESTBINS := $(if $(UNIT_SRC),$(BUILD)/tests/unit-tests) \
            $(if $(INTEG_SRC),$(BUILD)/tests/integration-tests) \
            $(patsubst tests/%.c,$(BUILD)/tests/%,$(TOOL_SRC))

.PHONY: all test test-asan test-chaos test-fresh test-containers clean install demo bench deps fuzz
all: $(BINARIES) $(TESTBINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo '  CC  $<';)
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

# Migrations are compiled into the library so a binary knows the newest schema it speaks.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) deploy/embed-sql.sh
	@mkdir -p $(@D)
	$(Q)sh deploy/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/schemas.c: $(JSONSCHEMAS) deploy/embed-json.sh
	@mkdir -p $(@D)
	$(Q)sh deploy/embed-json.sh $(JSONSCHEMAS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@$(if $(V),,echo '  CC  $<';)
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -Wno-overlength-strings -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

define program_rule
$(BIN)/freshet-$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c)) $(LIB)
	@mkdir -p $$(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(BIN)/freshetctl: $(patsubst %.c,$(BUILD)/%.o,$(CTL_SRC)) $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/freshet-fake-keepa: $(patsubst %.c,$(BUILD)/%.o,$(FAKE_SRC)) $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/freshet-fake-llm: $(patsubst %.c,$(BUILD)/%.o,$(FAKE_LLM_SRC)) $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The second fake upstream is self-contained: it needs none of libfreshet.
$(BIN)/freshet-fake-repos: $(patsubst %.c,$(BUILD)/%.o,$(FAKE_REPOS_SRC))
	@mkdir -p $(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

CRIT_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS   := $(shell pkg-config --libs criterion 2>/dev/null)
# Test code builds argv arrays from string literals.
$(BUILD)/tests/unit/%.o $(BUILD)/tests/integration/%.o: ALLCFLAGS += $(CRIT_CFLAGS) -Wno-write-strings

$(BUILD)/tests/unit-tests: $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRC)) $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CRIT_LIBS)

$(BUILD)/tests/integration-tests: $(patsubst %.c,$(BUILD)/%.o,$(INTEG_SRC)) $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CRIT_LIBS)

$(BUILD)/tests/harness/%: $(BUILD)/tests/harness/%.o $(LIB)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(LIB)
	@$(if $(V),,echo '  LD  $@';)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The freshness model (tests/bench/model/) serves the bound calculator and its unit tests.
$(BUILD)/tests/bench/freshness_bound $(BUILD)/tests/unit-tests: $(BUILD)/tests/bench/model/freshness_model.o

# deps: install what is missing (idempotent; says so when nothing is).
deps:
	@sh deploy/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@bash tests/run.sh $(BIN) $(BUILD)

test-asan: deps
	@$(MAKE) --no-print-directory all SANITIZE=address,undefined CC=clang
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 FRESHET_SANITIZED=1 bash tests/run.sh build-san/bin build-san

test-chaos: deps
	@$(MAKE) --no-print-directory all
	@bash tests/run.sh $(BIN) $(BUILD) chaos

# test-fresh: the README's first steps in a bare Debian 12 chroot (minutes; not in `make test`).
test-fresh:
	@bash tests/fresh/run.sh

# test-containers: the image and docker-compose.yml (3 processors) run under podman (needs root).
test-containers:
	@bash tests/containers/run.sh

fuzz: deps
	@$(MAKE) --no-print-directory all
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/demo.sh $(BIN) "$(N)" "$(SOURCES)"

bench: deps
	@$(MAKE) --no-print-directory all
	@bash tests/bench/run.sh $(BIN) $(BUILD) $(N)

# bench-freshness: freshness on a token budget beside its bounds; SCENARIOS= picks some.
.PHONY: bench-freshness
bench-freshness: deps
	@$(MAKE) --no-print-directory all
	@bash tests/bench/freshness.sh $(BIN) $(BUILD) $(SCENARIOS)

install: $(BINARIES)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/freshet/schemas
	install -m 0755 $(addprefix $(BIN)/,freshet-scout freshet-processor freshet-refresher freshetctl) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MIGRATIONS) $(DESTDIR)$(PREFIX)/share/freshet/schemas/

clean:
	rm -rf build build-san bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
