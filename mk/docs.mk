# make docs: the API reference from the Lua and C sources (ldoc, config.ld)
# into doc/api/ (ignored by git). Any ldoc warning fails the build.

EXTRA_DEB_PACKAGES += lua-ldoc lua-markdown

.PHONY: docs
docs: deps
	@rm -rf doc/api
	@ldoc . > build/ldoc.log 2>&1 || { cat build/ldoc.log >&2; exit 1; }
	@if grep -v -e '^reading configuration from' -e '^output written to' -e '^found master module' build/ldoc.log >&2; then \
	  echo "make docs: ldoc warned (above)" >&2; exit 1; fi
	@echo "API reference: doc/api/index.html"

# make test builds the reference too, so a warning can't creep in unseen.
.PHONY: docs-check
docs-check: deps
	@mkdir -p build
	$(call counted,$(MAKE) --no-print-directory docs)

TEST_STEPS += docs-check
