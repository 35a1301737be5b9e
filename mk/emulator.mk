# The local Mist API emulator (nginx + ngx_lua). See emulator/README section in README.md.
.PHONY: emulator
emulator: deps
	emulator/bin/mist-emulator run
