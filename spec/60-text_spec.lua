-- mistapi.text: the one character rule, cut, mask, table, key order, Lua
-- quoting and redaction that everything on a terminal, in a log or in an
-- error goes through; and that the other modules use it, not copies.
local text = require "mistapi.text"

-- Whether s is valid UTF-8 (checked here by hand, not with the module).
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len
    local lo, hi = 0x80, 0xBF
    if c < 0x80 then len = 1
    elseif c >= 0xC2 and c <= 0xDF then len = 2
    elseif c >= 0xE0 and c <= 0xEF then
      len = 3
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
    elseif c >= 0xF0 and c <= 0xF4 then
      len = 4
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
    else return false end
    for k = 1, len - 1 do
      local b = s:byte(i + k)
      if not b then return false end
      if k == 1 and (b < lo or b > hi) then return false end
      if k > 1 and (b < 0x80 or b > 0xBF) then return false end
    end
    i = i + len
  end
  return true
end

-- Nothing a terminal acts on: no C0, no DEL, no C1, valid UTF-8.
local function safe(s)
  return not s:find("[%z\1-\31\127]") and not s:find("\194[\128-\159]") and valid_utf8(s)
end

describe("text.clean (the one character rule)", function()
  it("keeps printable ASCII and valid UTF-8 as they are", function()
    assert.equal("plain name-1 (x)", text.clean("plain name-1 (x)"))
    assert.equal("café 名前 🚀 \194\160nbsp", text.clean("café 名前 🚀 \194\160nbsp"))
    assert.equal("-", text.clean(nil))
    assert.equal("42", text.clean(42))
  end)

  it("shows each C0 control, DEL and C1 control as one ?", function()
    assert.equal("a?b?c?d?e", text.clean("a\0b\rc\nd\127e"))
    assert.equal("x?y", text.clean("x\194\133y"))            -- NEL
    assert.equal("tab?here", text.clean("tab\there"))
  end)

  it("removes a whole escape sequence, leaving one ? and nothing of its body", function()
    assert.equal("?name", text.clean("\27[2Jname"))                        -- CSI
    assert.equal("a?b", text.clean("a\27[38;5;196mb"))                     -- CSI with parameters
    assert.equal("a?b", text.clean("a\27]0;pwned\7b"))                     -- OSC ended by BEL
    assert.equal("a?b", text.clean("a\27]8;;http://evil\27\\b"))           -- OSC ended by ST
    assert.equal("a?b", text.clean("a\27P1$r0m\27\\b"))                    -- DCS
    assert.equal("a?b", text.clean("a\27_apc\27\\b"))                      -- APC
    assert.equal("? reset", text.clean("\27c reset"))                      -- ESC c (RIS)
    assert.equal("a?b", text.clean("a\27(Bb"))                             -- charset designation
    assert.equal("x?y", text.clean("x\194\155" .. "31my"))                 -- C1 CSI and its parameters
    assert.equal("x?y", text.clean("x\194\157" .. "0;t\194\156y"))         -- C1 OSC ended by C1 ST
    assert.equal("title?", text.clean("title\27]0;never ended"))           -- unterminated: to the end
    assert.equal("end?", text.clean("end\27"))
    assert.equal("??name", text.clean("\27[2J\27]0;pwned\7name"))
  end)

  it("shows each byte that is not UTF-8 as ?", function()
    assert.equal("bad??z", text.clean("bad\255\254z"))
    assert.equal("?x", text.clean("\128x"))                                -- lone continuation
    assert.equal("??", text.clean("\192\175"))                             -- overlong "/"
    assert.equal("???s", text.clean("\237\160\128s"))                      -- a surrogate
    assert.equal("?", text.clean("\195"))                                  -- cut short
  end)

  it("never lets a terminal-active byte through, whatever the input (seeded random bytes)", function()
    local seed = 12345
    local function rand(n)          -- a small LCG: the same bytes on every run and interpreter
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    end
    local alphabet = { "\27", "[", "]", "\7", "\\", "\194", "\155", "\157", "\156", "\127", "\r", "\n", "a",
      "0", ";", "m", "\255", "\224", "\160", "\128", "\240", "P", "é" }
    for _ = 1, 2000 do
      local parts = {}
      for i = 1, rand(24) do parts[i] = alphabet[rand(#alphabet) + 1] end
      local s = table.concat(parts)
      local out = text.clean(s)
      assert(safe(out), ("%q gave %q"):format(s, out))
      assert(not out:find("\27", 1, true))
      assert.equal(out, text.clean(out), "clean text stays as it is")
    end
  end)

  it("merges a run into one replacement for a log line", function()
    assert.equal("a b c", text.sanitize("a\r\n\27[2Jb\0c", " ", true))
  end)

  it("keeps line breaks and tabs in text.lines, each line under the rule", function()
    assert.equal("a?\tb\nc?", text.lines("a\27[1m\tb\nc\194\155"))
  end)
end)

describe("text.cut and text.line", function()
  it("cuts at a byte bound with ..., never inside a UTF-8 character", function()
    assert.equal("abc", text.cut("abc", 3))
    assert.equal("ab...", text.cut("abcdefgh", 5))
    local cut = text.cut(("é"):rep(10), 8)
    assert.is_true(valid_utf8(cut))
    assert.equal("éé...", cut)
    assert.equal(("x"):rep(37) .. "...", text.line(("x"):rep(50), 40))
    assert.equal("?name", text.line("\27[2Jname", 40))
  end)
end)

describe("text.mask", function()
  it("shows the first and last four characters, nothing of a short key", function()
    assert.equal("1qkb...QQCL", text.mask("1qkbAAAAAAAAAAAAAAAAAAAAQQCL"))
    assert.equal("1qkb...QQCL", text.mask("1qkb...QQCL"))             -- masked by the server already
    assert.equal("****", text.mask("abcdefghij"))
    assert.equal("-", text.mask(nil))
    assert.equal("-", text.mask(""))
    assert.equal("?yz...QQCL", text.mask("\27xyz...QQCL"))            -- a server's mask is cleaned too (ESC x is one)
  end)

  it("takes only a server's exact mask shape as masked: a whole key that merely holds '...' is masked anew", function()
    assert.is_true(text.is_masked("1qkb...QQCL"))
    for _, s in ipairs { "1qkb...QQCLwholeKeyRest", "xx1qkb...QQCL", "1qk...QQCL", "1qkb...QQC", "1qkb..QQCLx",
      "1qkbQQCLxyz", "a...b", "", 42 } do
      assert.is_false(text.is_masked(s), tostring(s))
    end
    -- a key that starts like a mask never comes out whole
    assert.equal("1qkb...Rest", text.mask("1qkb...QQCLwholeKeyRest"))
    assert.equal("****", text.mask("ab...cd"))
  end)
end)

describe("text.table", function()
  it("aligns columns by their width on screen (wide characters count two)", function()
    local out = text.table { { "NAME", "ID" }, { "名前", "1" }, { "abcdef", "2" } }
    assert.equal("NAME    ID\n名前    1\nabcdef  2", out)
  end)
end)

describe("text.sorted_keys", function()
  it("orders keys by type name then value, or by a rank first", function()
    assert.same({ 1, 2, "a", "b" }, text.sorted_keys { b = 1, a = 1, [2] = 1, [1] = 1 })
    assert.same({ "id", "name", "a", "z" }, text.sorted_keys({ z = 1, name = 1, a = 1, id = 1 }, { id = 1, name = 2 }))
  end)
end)

describe("text.quote", function()
  it("writes controls, C1 and bytes that aren't UTF-8 as escapes; keeps valid UTF-8", function()
    assert.equal('"a\\27[2J\\194\\155\\255\\"\\\\\\n é"', text.quote("a\27[2J\194\155\255\"\\\n é"))
    assert.is_true(safe(text.quote("\27]0;x\7\194\133\255")))
  end)
end)

describe("text.redact (the one redaction policy)", function()
  it("hides every non-empty secret, however short, as [redacted]", function()
    assert.equal("Token [redacted] and [redacted]!", text.redact("Token abcdef and pw!", { "abcdef", "pw" }))
    assert.equal("x[redacted]y", text.redact("xay", { "a" }))
    assert.equal("[redacted]", text.redact("abcabc", { "abc", "abcabc" }))   -- the longer one whole
    assert.equal("same", text.redact("same", { "" }))
    assert.equal("[redacted]", text.REDACTED)
  end)
end)

describe("one source", function()
  it("errors, display and pretty use the text module's rule, mask and redaction", function()
    local errors = require "mistapi.errors"
    local display = require "mistapi.display"
    local pretty = require "mistapi.pretty"
    assert.equal(text.redact, errors.redact)
    assert.equal(text.clean, display.scrub)
    assert.equal(text.mask, display.mask)
    assert.equal(text.width, display.width)
    assert.equal("a?b", errors.strip_controls("a\27]0;t\7b"))
    assert.equal("a b", errors.scrub("a\27[2J\27]0;pwned\7b"):gsub("%s+", " "))
    local shown = pretty.value { name = "x\27[2Jy", key = "1qkbAAAAAAAAAAAAAAAAAAAAQQCL" }
    assert.is_nil(shown:find("\27", 1, true))
    assert.truthy(shown:find("1qkb...QQCL", 1, true))
  end)

  it("the CLI's JSON escapes C1, ESC and DEL, and makes bytes that aren't UTF-8 into ?", function()
    local cjson = require "cjson"
    local json = require "mistapi.cli.json"
    local evil = "a\27[2J\27]0;p\7\194\155" .. "31m\127\r\n名"
    local out = json.encode { name = evil, bad = "x\255y" }
    assert.is_true(safe(out), out)
    assert.truthy(out:find("\\u009b", 1, true))
    assert.truthy(out:find("\\u007f", 1, true))
    local back = cjson.decode(out)
    assert.equal(evil, back.name)
    assert.equal("x?y", back.bad)
  end)

  it("the REPL's printer hides the client's secrets and applies the rule, keeping lines", function()
    local got
    local show = require("mistapi.cli.repl").printer({ "s3cr3t" }, function(s) got = s end)
    show("key s3cr3t\n\27[2Jname\tx")
    assert.equal("key [redacted]\n?name\tx", got)
  end)

  it("the C core redacts a failure's text with the same placeholder and every non-empty secret", function()
    local core = require "mistapi.core"
    local session = core.session { allow_http = true, timeout = 5 }
    -- port 1 refuses: curl's text ("Failed to connect to ...") holds "to"
    local status, info = session:request("GET", "http://127.0.0.1:1/x", { ["X-Probe"] = "to" })
    assert.is_nil(status)
    assert.truthy(info.message:find(text.REDACTED, 1, true), info.message)
    assert.is_nil(info.message:find("to", 1, true), "a two-byte header value is hidden too")
    assert.is_nil(info.message:find("***", 1, true))
    -- the URL's user ("to") is hidden first; then a one-byte header value
    -- that the mark itself holds ("d") leaves every mark whole
    status, info = session:request("GET", "http://to@127.0.0.1:1/x", { ["X-Other"] = "d" })
    session:close()
    assert.is_nil(status)
    local rest = info.message:gsub("%[redacted%]", "")
    assert.is_nil(rest:find("[%[%]d]"), info.message)
    assert.is_nil(rest:find("to", 1, true), info.message)
  end)
end)
