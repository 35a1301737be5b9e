# The local Mist API emulator (nginx + ngx_lua): `make emulator` runs one in the
# foreground (Ctrl-C stops it); docs/emulator.md documents it and its control API.
# lua-socket: the emulator's specs read some faulty answers off a raw socket.
EXTRA_DEB_PACKAGES += lua-socket

.PHONY: emulator
emulator: deps
	emulator/bin/mist-emulator run
