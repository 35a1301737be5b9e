-- Rotates an org API token with tokens:rotate_org_api_token: a replacement
-- with the same privileges and src_ips, its key kept first (in PATH, mode
-- 0600, or on stdout), proved with GET /api/v1/self, then the old token
-- deleted. On any failure the old token is left as it was, and a replacement
-- that can't be trusted is deleted again. Run it again with the same
-- --key-file to finish a rotation that was interrupted. docs/lifecycle.md
-- tells the whole story; `mistapi-tokens rotate` does the same from a shell.
--
-- Run: lua5.4 examples/rotate_token.lua OLD_TOKEN_ID [--name NEW_NAME] [--key-file PATH]
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README).
-- Exit status: 0 rotated; 1 failed, old token untouched (the message says what exists); 2 usage.
local mistapi = require "mistapi"
local keystore = require "mistapi.keystore"

local function fail(status, ...)
  io.stderr:write("rotate_token: ", ...)
  io.stderr:write("\n")
  os.exit(status)
end

local old_id, new_name, key_file
do
  local i = 1
  while arg[i] do
    local a = arg[i]
    if a == "--name" or a == "--key-file" then
      if not arg[i + 1] then fail(2, a, " needs a value") end
      if a == "--name" then new_name = arg[i + 1] else key_file = arg[i + 1] end
      i = i + 1
    elseif not old_id and not a:match("^%-") then
      old_id = a
    else
      fail(2, "unexpected argument ", a)
    end
    i = i + 1
  end
end
if not old_id then fail(2, "usage: rotate_token.lua OLD_TOKEN_ID [--name NEW_NAME] [--key-file PATH]") end

local client, cerr = mistapi.new()   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
if not client then fail(2, tostring(cerr)) end
local org_id = client.org_id or fail(2, "set MIST_ORG_ID")

-- Where the key goes before anything else happens: a new 0600 file (made
-- now, so a bad path fails before any call), or stdout, marked.
local keys, kerr = keystore.file(key_file or "-", { write = function(key_line)
  -- the key counts as kept only once it is really written
  local ok, err = io.stdout:write("new key (shown only now; store it safely):\n", key_line)
  if ok then ok, err = io.stdout:flush() end
  return ok, err
end })
if not keys then fail(2, kerr) end

print(("rotating %s"):format(old_id))
local report, err = client:orgs_api_tokens():rotate_org_api_token(org_id, old_id, {
  store = keys.store, load = keys.load, discard = keys.discard, name = new_name,
})
if not report then
  keys.abandon()
  fail(1, tostring(err))
end
print(("new token: %s"):format(tostring(report.new)))
if key_file then print(("new key:   written to %s (mode 0600)"):format(key_file)) end
print(("old token %s deleted"):format(old_id))
