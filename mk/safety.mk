# Safety checks: libFuzzer targets, the suite against an ASan/UBSan core,
# the suite under valgrind. See docs/safety.md.
#   make fuzz        each target for FUZZ_SECONDS (default 60); fails on any finding
#   make fuzz-smoke  each target for FUZZ_SMOKE_SECONDS over its seed corpus (part of make test)
#   make asan        the Lua 5.4 suite against build/asan/mistapi/core.so
#   make valgrind    the Lua 5.4 suite under memcheck
#   make asan-smoke, make valgrind-smoke
#                    the same over the core-heavy specs only (part of make test)
#   make check-all   make test, then asan, valgrind and fuzz

EXTRA_DEB_PACKAGES += clang libclang-rt-14-dev valgrind lua-socket

FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_TARGETS       := decode headers validate encode_token encode batch
FUZZ_CC            := clang
SAN_FLAGS          := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_CFLAGS          = -g -O1 $(SAN_FLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L \
                      $(shell pkg-config --cflags lua5.4 libcurl uuid yajl hiredis libcrypto)
FUZZ_LDLIBS         = $(shell pkg-config --libs lua5.4 libcurl uuid yajl hiredis) -ldl
FUZZ_CORE_OBJS     := $(patsubst csrc/%.c,build/fuzz/obj/%.o,$(CORE_SRCS))
FUZZ_BINS          := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
.SECONDARY: $(FUZZ_CORE_OBJS) build/fuzz/obj/lua_host.o
# libFuzzer flags for every run: a hang past 10 s is a finding too.
FUZZ_RUN_FLAGS     := -timeout=10 -rss_limit_mb=2048 -print_final_stats=0

build/fuzz/obj/%.o: csrc/%.c $(CORE_HDRS) mk/safety.mk | deps
	@mkdir -p $(@D)
	@echo "  CC (fuzz) $<"
	@$(FUZZ_CC) $(SAN_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/obj/lua_host.o: fuzz/lua_host.c fuzz/lua_host.h mk/safety.mk | deps
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(SAN_CFLAGS) -c -o $@ $<

build/fuzz/%: fuzz/fuzz_%.c fuzz/lua_host.h build/fuzz/obj/lua_host.o $(FUZZ_CORE_OBJS)
	@echo "  LD (fuzz) $@"
	@$(FUZZ_CC) $(SAN_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/obj/lua_host.o $(FUZZ_CORE_OBJS) $(FUZZ_LDLIBS)

# Runs every target for $(1) seconds; new inputs go to fuzz/out, the seed
# corpus is only read; a crash is saved under fuzz/out/crash/<target>/.
# Every target runs even after a finding; under make test each one counts
# as a check in MISTAPI_TEST_COUNTS.
define fuzz_all
	@failed=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/out/corpus/$$t fuzz/out/crash/$$t; \
	  case $$t in headers) dict=fuzz/dict/headers.dict;; validate) dict=fuzz/dict/validate.dict;; \
	    batch) dict=fuzz/dict/batch.dict;; *) dict=fuzz/dict/json.dict;; esac; \
	  echo "fuzz: $$t for $(1) s"; \
	  if build/fuzz/$$t $(FUZZ_RUN_FLAGS) -max_total_time=$(1) -dict=$$dict \
	       -artifact_prefix=fuzz/out/crash/$$t/ fuzz/out/corpus/$$t fuzz/corpus/$$t \
	       > fuzz/out/$$t.log 2>&1; then \
	    result="1 0 0"; \
	  else \
	    tail -n 60 fuzz/out/$$t.log; echo "fuzz: $$t found a crash, see fuzz/out/crash/$$t/"; \
	    result="0 1 0"; failed=1; \
	  fi; \
	  if [ -n "$$MISTAPI_TEST_COUNTS" ]; then echo "$$result" >> "$$MISTAPI_TEST_COUNTS"; fi; \
	done; exit $$failed

endef

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-smoke-run asan valgrind asan-smoke valgrind-smoke check-all
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(call fuzz_all,$(FUZZ_SECONDS))
	@echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $(FUZZ_SECONDS) s each, no findings"

# counted (mk/test.mk) hands MISTAPI_TEST_COUNTS down: one check a target
fuzz-smoke: fuzz-build
	@mkdir -p build
	$(call counted,$(MAKE) --no-print-directory fuzz-smoke-run)

fuzz-smoke-run:
	$(call fuzz_all,$(FUZZ_SMOKE_SECONDS))

# The core built with ASan and UBSan for Lua 5.4, loaded by a small lua5.4
# (fuzz/asan_lua.c) that carries the sanitizer runtime itself; lua5.4 from
# Debian would need LD_PRELOAD, which every program the suite starts would
# inherit. Leak checking is valgrind's job (make valgrind).
ASAN_CORE := build/asan/mistapi/core.so
ASAN_LUA  := build/asan/lua5.4
ASAN_ENV  := MISTAPI_SANITIZED=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(ASAN_CORE): $(CORE_SRCS) $(CORE_HDRS) mk/safety.mk | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SAN_CFLAGS) -fPIC -fvisibility=hidden -shared -o $@ $(CORE_SRCS) \
	  $(shell pkg-config --libs libcurl uuid yajl hiredis) -ldl

$(ASAN_LUA): fuzz/asan_lua.c mk/safety.mk | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SAN_CFLAGS) -o $@ $< $(shell pkg-config --libs lua5.4)

# The specs that drive the C core hardest: the smokes in make test run
# just these under ASan and under valgrind; make asan / make valgrind run all.
SAFETY_SMOKE_SPECS = $(sort $(wildcard spec/*core*_spec.lua spec/81-*_spec.lua spec/82-*_spec.lua \
                       spec/85-*_spec.lua))

# $(call asan_run,SPECS,LOG): busted under the ASan lua5.4; fails on a spec
# failure or on any sanitizer report in LOG. --ignore-lua: the .busted run
# names lua5.4, and busted would start itself again under it.
define asan_run
$(ASAN_ENV) $(ASAN_LUA) $(BUSTED) --run=lua54 --ignore-lua --cpath=./build/asan/?.so $(1) 2> $(2) \
  || { tail -n 80 $(2); exit 1; }; \
if grep -qE "ERROR: AddressSanitizer|runtime error:" $(2); then \
  grep -E -A30 "ERROR: AddressSanitizer|runtime error:" $(2) | head -80; exit 1; fi; \
echo "asan: no reports"
endef

VALGRIND := valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
            --suppressions=fuzz/valgrind.supp --num-callers=30 --keep-debuginfo=yes

# $(call valgrind_run,SPECS,LOG): busted under memcheck; fails on a spec
# failure, any memcheck error or anything definitely lost (all in LOG).
define valgrind_run
MISTAPI_SANITIZED=1 $(VALGRIND) --log-file=$(2) lua5.4 $(BUSTED) --run=lua54 --ignore-lua $(1) \
  || { head -120 $(2); exit 1; }; \
if [ -s $(2) ]; then head -120 $(2); exit 1; fi; \
echo "valgrind: no errors, nothing definitely lost"
endef

asan: $(ASAN_CORE) $(ASAN_LUA) build-5.4 build-5.1
	@mkdir -p build
	@$(call asan_run,$(BUSTED_ARGS),build/asan.log)

valgrind: build-5.4 build-5.1
	@mkdir -p build
	@$(call valgrind_run,$(BUSTED_ARGS),build/valgrind.log)

# counted (mk/test.mk): the busted run adds its counts; a sanitizer report
# after passing specs counts as one failure
asan-smoke: $(ASAN_CORE) $(ASAN_LUA) build-5.4 build-5.1
	@mkdir -p build
	$(call counted,sh -c '$(call asan_run,$(SAFETY_SMOKE_SPECS),build/asan-smoke.log)')

valgrind-smoke: build-5.4 build-5.1
	@mkdir -p build
	$(call counted,sh -c '$(call valgrind_run,$(SAFETY_SMOKE_SPECS),build/valgrind-smoke.log)')

check-all: test asan valgrind fuzz

TEST_STEPS += fuzz-smoke asan-smoke valgrind-smoke
