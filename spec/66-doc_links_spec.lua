-- Every relative link of README.md and docs/ resolves in the repository as it is
-- (no build needed): the file exists, and a #fragment names a heading of it, as
-- the repository's pages make anchors. Links inside code blocks don't count.
local shell = require "support.shell"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

local function markdown_files()
  local p = assert(io.popen("cd " .. shell.quote(ROOT)
    .. " && ls README.md CHANGELOG.md HACKING.md docs/*.md docs/*/*.md 2>/dev/null"))
  local files = {}
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

-- The text outside fenced code blocks (and inline code, unless keep_inline).
local function prose(text, keep_inline)
  local out, fenced = {}, false
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%s*```") then
      fenced = not fenced
    elseif not fenced then
      out[#out + 1] = keep_inline and line or (line:gsub("`[^`]*`", "``"))
    end
  end
  return table.concat(out, "\n")
end

-- The anchor a heading gets: lower case, punctuation but - and _ dropped, spaces to -.
local function slug(heading)
  return (heading:lower():gsub("[^%w%s_%-]", ""):gsub("%s", "-"))
end

local function anchors_of(text)
  local seen, anchors = {}, {}
  for line in prose(text, true):gmatch("[^\n]+") do
    local h = line:match("^#+%s+(.-)%s*$")
    if h then
      local s = slug(h:gsub("`", ""))
      local n = seen[s]
      anchors[n and (s .. "-" .. n) or s] = true
      seen[s] = (n or 0) + 1
    end
  end
  return anchors
end

local function dir_of(path)
  return path:match("^(.*)/[^/]*$") or "."
end

-- "docs/../README.md" -> "README.md"
local function normalise(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      if #parts == 0 or parts[#parts] == ".." then parts[#parts + 1] = ".." else parts[#parts] = nil end
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return table.concat(parts, "/")
end

-- Each relative link of `file`: { target =, fragment = }
local function links_of(text)
  local links = {}
  for target in prose(text):gmatch("%]%(([^)%s]+)[^)]*%)") do
    if not target:match("^%a[%w+.-]*:") then   -- http:, https:, mailto: are not ours to check
      local path, fragment = target:match("^([^#]*)#?(.*)$")
      links[#links + 1] = { target = target, path = path, fragment = fragment }
    end
  end
  return links
end

describe("the documentation's links", function()
  local files = markdown_files()

  it("finds README.md and the docs/ pages", function()
    local set = {}
    for _, f in ipairs(files) do set[f] = true end
    assert.is_true(set["README.md"])
    assert.is_true(set["docs/reference.md"])
    assert.is_true(#files > 10)
  end)

  for _, file in ipairs(files) do
    it("resolve in " .. file, function()
      local text = assert(shell.try_read(ROOT .. "/" .. file))
      local broken = {}
      for _, link in ipairs(links_of(text)) do
        local target = link.path == "" and file or normalise(dir_of(file) .. "/" .. link.path)
        local body = shell.try_read(ROOT .. "/" .. target)
        local is_dir = not body and os.execute("test -d " .. shell.quote(ROOT .. "/" .. target))
        if not body and not (is_dir == true or is_dir == 0) then
          broken[#broken + 1] = link.target .. " (no " .. target .. ")"
        elseif body and link.fragment ~= "" and target:match("%.md$") and not anchors_of(body)[link.fragment] then
          broken[#broken + 1] = link.target .. " (no heading #" .. link.fragment .. " in " .. target .. ")"
        end
      end
      assert.same({}, broken)
    end)
  end

  it("are checked by this spec: a broken one is caught", function()
    local links = links_of("see [a](docs/nowhere.md) and `[b](x.md)` and [c](https://example.com)\n```\n[d](y.md)\n```")
    assert.equal(1, #links)
    assert.equal("docs/nowhere.md", links[1].path)
    assert.is_nil(shell.try_read(ROOT .. "/docs/nowhere.md"))
    assert.is_true(anchors_of("## The command line: `mistapi-tokens`\n")["the-command-line-mistapi-tokens"])
    assert.is_true(anchors_of("# Errors\n## Errors\n")["errors-1"])
  end)
end)
