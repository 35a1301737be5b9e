# make bench: the measuring harness (bench/). Starts and stops its own nginx,
# prints one table, writes bench/results/<UTC date>.txt and .json.
#   make bench BENCH_ARGS="--runs 9"        more runs
#   make bench BENCH_ARGS="--only get,list" some works only
#   make bench-quick                        every answer checked, small counts, nothing timed

EXTRA_DEB_PACKAGES += hyperfine libcjson-dev python3-requests lua-socket valgrind time strace

FLOOR      := build/bench/floor
DELAY      := build/bench/delay
BENCH_ARGS ?=

$(FLOOR): bench/floor.c mk/bench.mk | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L $(shell pkg-config --cflags libcurl libcjson) \
	  -o $@ $< $(shell pkg-config --libs libcurl libcjson)

# the 80 ms round trip in front of the TLS listeners
$(DELAY): bench/delay.c mk/bench.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L -o $@ $<

.PHONY: bench bench-quick bench-lint bench-check
bench: deps build $(FLOOR) $(DELAY)
	bench/run $(BENCH_ARGS)

bench-quick: deps build $(FLOOR) $(DELAY)
	bench/run --quick $(BENCH_ARGS)

bench-lint: deps
	luacheck -q bench

# make test also runs the quick bench (about 45 s): every implementation must
# agree on the checksum, so a broken bench can't hide until someone measures.
bench-check: deps build $(FLOOR) $(DELAY)
	$(call counted,bench/run --quick > build/bench-quick.log 2>&1 || \
	  { grep -E 'WRONG|FAILED|^bench: ' build/bench-quick.log; tail -5 build/bench-quick.log; false; })

TEST_STEPS += bench-lint bench-check
