--- The library's messages in the command line's words, never cut before
-- their advice. The lifecycle speaks to Lua callers (`pass allow_self`,
-- `give load ... the key stored`, `restart`); a shell user has options
-- (`--allow-self`, the same `--key-file` again, `--restart`). And a
-- message's advice comes last, after any server text, so a line too long
-- for the terminal loses its middle, never its end.
-- @module mistapi.cli.words

local errors = require "mistapi.errors"

local words = {}

--- How long one error line may get; past it the middle is left out.
words.MAX_LINE = 2000
local HEAD = 600

-- Where a command keeps its keys, as its options name it.
local function key_option(command)
  if command == "apply" or command == "plan" then return "--key-dir" end
  return "--key-file"
end

-- { library pattern, CLI replacement (KEY: the command's key option) }, in order.
local RULES = {
  { "give load %(the CLI: the same %-%-key%-%a+%) the key stored for it",
    "run the same command again with the same KEY (it holds the key stored for it)" },
  { "a re%-run with load finishes", "running the same command again with the same KEY finishes" },
  { "[Rr]e%-run with load", "run the same command again with the same KEY" },
  { "the key load gave", "the key in the KEY" },
  { "kept in the store", "kept in the KEY" },
  { "give load", "give the same KEY" },
  { "verify = false, the CLI's %-%-no%-verify, checks", "--no-verify checks" },
  { "verify = false", "--no-verify" },
  { "%f[%w_]allow_self%f[^%w_]", "--allow-self" },
  { "%f[%w_]keep_old%f[^%w_]", "--keep-old" },
  { "([ ,(]or) restart%f[^%w_]", "%1 --restart" },
  { "with restart%f[^%w_]", "with --restart" },
}

--- `text` (a message or a plan's notes) in the CLI's words.
-- @param text string
-- @param command the command that prints it ("rotate", "apply"...)
function words.cli(text, command)
  local key = key_option(command)
  for _, rule in ipairs(RULES) do
    text = text:gsub(rule[1], (rule[2]:gsub("KEY", key)))
  end
  return text
end

--- A plan's text with its notes in the CLI's words (token names left as they are).
function words.plan(text, command)
  return (text:gsub("(Note: )([^\n]*)", function(head, note) return head .. words.cli(note, command) end))
end

--- One line for the terminal: the secrets hidden, no control characters, and
-- at most MAX_LINE bytes, losing the middle (the advice is at the end).
-- @param text string
-- @param known the secrets to hide
function words.line(text, known)
  local s = errors.scrub(tostring(text), known or {}, math.huge)
  if #s > words.MAX_LINE then
    s = s:sub(1, HEAD) .. " ... " .. s:sub(-(words.MAX_LINE - HEAD))
  end
  return s
end

--- The text of an error, with a lifecycle step's message whole (the error's
-- own `tostring` cuts a message at 300 bytes, which may be before its advice).
function words.error_text(err)
  if type(err) ~= "table" or type(err.step) ~= "string" or type(err.message) ~= "string" then
    return tostring(err)
  end
  local copy = {}
  for k, v in pairs(err) do copy[k] = v end
  copy.message, copy.raised_at = "", nil
  local head = tostring(setmetatable(copy, getmetatable(err)))
  return head .. errors.scrub(err.message, nil, math.huge)
end

return words
