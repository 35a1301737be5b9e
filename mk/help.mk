# make help: every target, one line each. A target added to a .PHONY line of
# mk/ gets its line here too (spec/68-make_help_spec.lua checks).

.PHONY: help
help:
	@printf '%s\n' \
	  'mistapi: make TARGET' \
	  '' \
	  'Try it' \
	  '  demo               the whole token lifecycle against a local emulator' \
	  '  repl               an interactive Lua session against a local emulator' \
	  '  examples           every script of examples/ against a local emulator' \
	  '  emulator           the local Mist API emulator, in the foreground' \
	  '  openresty-example  the example nginx server against a local emulator' \
	  '  openresty-conf     only write its nginx.conf (OPENRESTY_DIR=DIR)' \
	  '' \
	  'Build and install' \
	  '  build-deps         the Debian packages a build needs (as root; otherwise prints the apt-get line)' \
	  '  deps               those and every test, demo, bench and docs tool (likewise)' \
	  '  all, build         the C core for Lua 5.4 and LuaJIT (build-5.4, build-5.1)' \
	  '  build-all          also for Lua 5.2 and 5.3 (build-5.2, build-5.3)' \
	  '  install            PREFIX=/usr/local DESTDIR= LUA_VERSION=5.4 (5.3, 5.2, 5.1 = LuaJIT)' \
	  '  uninstall          what install put there (same variables)' \
	  '  clean              remove build/' \
	  '  schema             write csrc/schema.h from lua/mistapi/schema.lua (after editing the schema)' \
	  '  rock, rock-install what the rockspec runs (luarocks make mistapi-0.2.0-1.rockspec)' \
	  '' \
	  'Test' \
	  '  test               everything below, then "total: N passed, N failed, N skipped"' \
	  '  lint               luacheck' \
	  '  spec, spec-5.4     the specs under Lua 5.4' \
	  '  spec-luajit        the specs under LuaJIT' \
	  '  spec-other-lua     the library specs under Lua 5.1, 5.2 and 5.3' \
	  '  docs-check         the reference builds without an ldoc warning' \
	  '  reference-check    the committed docs/reference.md and docs/api/ are current' \
	  '  lifecycle-failures write docs/lifecycle_failures.md from the failure simulation (spec/76)' \
	  '  prism-install      Prism for the conformance spec (npm, once)' \
	  '  bench-lint, bench-check   the benchmark scripts lint and run once' \
	  '  fuzz-smoke, asan-smoke, valgrind-smoke   short runs of the safety checks' \
	  '  test-start, test-summary, fuzz-smoke-run  steps of test itself' \
	  '  test-order         each spec file alone under many shuffle seeds, 5.4 and LuaJIT (SEEDS=50' \
	  '                     SEED_START=1 FILES= RUNS="lua54 luajit" JOBS=2); not part of test' \
	  '' \
	  'Safety and speed' \
	  '  check-all          test, then asan, valgrind and fuzz in full' \
	  '  asan, valgrind     the Lua 5.4 suite under AddressSanitizer / memcheck' \
	  '  fuzz, fuzz-build   the libFuzzer targets (FUZZ_SECONDS=60)' \
	  '  bench, bench-quick the benchmark table (docs/dev/bench.md)' \
	  '' \
	  'Docs' \
	  '  docs               docs/reference.md + docs/api/ (commit them) and doc/api/ HTML' \
	  '  reference          only the Markdown reference' \
	  '  help               this'
