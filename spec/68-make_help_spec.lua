-- `make help` names every target the Makefile declares (.PHONY in Makefile and mk/*.mk),
-- so a target can't be added without a line there.
local shell = require "support.shell"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

describe("make help", function()
  it("lists every .PHONY target of the Makefile and mk/", function()
    local r = shell.capture("make -s -C " .. shell.quote(ROOT) .. " --no-print-directory help")
    assert.equal(0, r.status)
    assert.truthy(r.out:find("^mistapi: make TARGET\n"))
    local words = {}
    for w in r.out:gmatch("[%w_.-]+") do words[w] = true end
    local decl = shell.capture("cd " .. shell.quote(ROOT) .. " && grep -h '^\\.PHONY:' Makefile mk/*.mk")
    local missing, count = {}, 0
    for line in decl.out:gmatch("[^\n]+") do
      for target in line:gsub("^%.PHONY:", ""):gmatch("%S+") do
        count = count + 1
        if not words[target] then missing[#missing + 1] = target end
      end
    end
    assert.is_true(count > 20)
    assert.same({}, missing)
  end)
end)
