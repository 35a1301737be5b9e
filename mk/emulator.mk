# The local Mist API emulator (nginx + ngx_lua): `make emulator` runs one in the
# foreground (Ctrl-C stops it); docs/emulator.md documents it and its control API.
# lua-socket: the emulator's specs read some faulty answers off a raw socket.
# nodejs/npm: Prism, the independent validator of the official spec (spec/29);
# asked of Debian only when there is no npm yet (a Node.js from elsewhere may
# bring its own, and Debian's npm would conflict with it).
EXTRA_DEB_PACKAGES += lua-socket $(if $(shell command -v npm),,nodejs npm)

PRISM := tools/node_modules/.bin/prism

.PHONY: emulator prism-install
# --env: the lines it prints are `export` lines, the library's variables among
# them; paste them into another shell and everything there talks to this one.
emulator: deps
	emulator/bin/mist-emulator run --env

# Prism into tools/node_modules from tools/package-lock.json; skipped when already there.
# Offline-tolerant and bounded: if npm can't fetch it (or hangs past 5 minutes),
# the conformance specs report themselves pending.
prism-install:
	@if [ -x $(PRISM) ]; then :; \
	elif command -v npm >/dev/null; then \
	  echo "prism-install: npm ci --prefix tools (about 20 s, once)"; \
	  timeout 300 npm ci --prefix tools --no-audit --no-fund >/dev/null 2>&1 \
	    || echo "prism-install: npm failed or took over 5 minutes (offline?); the Prism specs will be pending" >&2; \
	else echo "prism-install: npm is missing; spec/29-conformance_spec.lua will be pending" >&2; fi

# the conformance spec runs inside the busted runs, so Prism comes first
spec-5.4 spec-luajit: prism-install
TEST_STEPS += prism-install
