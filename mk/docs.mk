# make docs: the API reference from the Lua and C sources (ldoc, config.ld), twice:
#   docs/reference.md and docs/api/*.md   Markdown, committed: the README links them,
#                                         and they read on the repository's pages
#   doc/api/index.html                    HTML, for browsing locally (ignored by git)
# Any ldoc warning fails the build. `make test` fails when the committed Markdown
# is not what `make docs` would write now.

EXTRA_DEB_PACKAGES += lua-ldoc lua-markdown
# /usr/bin/ldoc starts on whichever Lua lua-any picks (5.2 once lua5.2 is installed),
# and Debian's lua-markdown is for 5.1 only: run it on 5.1.
LDOC = lua5.1 /usr/bin/ldoc
LDOC_MARKDOWN = LUA_PATH="$(CURDIR)/tools/?.lua;;" MISTAPI_REFERENCE_DIR=$(1) $(LDOC) --filter ldoc_markdown.write . >/dev/null 2>&1

.PHONY: docs reference
docs: deps reference
	@rm -rf doc/api
	@mkdir -p build
	@$(LDOC) . > build/ldoc.log 2>&1 || { cat build/ldoc.log >&2; exit 1; }
	@if grep -v -e '^reading configuration from' -e '^output written to' -e '^found master module' build/ldoc.log >&2; then \
	  echo "make docs: ldoc warned (above)" >&2; exit 1; fi
	@echo "API reference: docs/reference.md (committed), doc/api/index.html"

# The Markdown reference alone (what is committed).
reference: deps
	@rm -rf docs/api
	@$(call LDOC_MARKDOWN,docs)

# make test builds the reference too, so a warning can't creep in unseen,
# and checks that the committed Markdown is current.
.PHONY: docs-check reference-check
docs-check: deps
	@mkdir -p build
	$(call counted,$(MAKE) --no-print-directory docs)

reference-check: deps
	@rm -rf build/reference && mkdir -p build/reference
	$(call counted,$(call LDOC_MARKDOWN,build/reference) && \
	  { diff -r -q build/reference/api docs/api && diff -q build/reference/reference.md docs/reference.md; } \
	  || { echo "docs/reference.md or docs/api/ is stale: run make docs and commit them" >&2; false; })

TEST_STEPS += docs-check reference-check
