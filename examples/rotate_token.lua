-- Rotates an org API token: makes a replacement with the same privileges and
-- src_ips, proves the new key works, and only then deletes the old token. On
-- any failure the old token is left exactly as it was (and a replacement
-- that doesn't work is deleted again).
--
-- Run: lua5.4 examples/rotate_token.lua OLD_TOKEN_ID [--name NEW_NAME] [--key-file PATH]
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README).
-- The new key is shown once on stdout, or written to PATH (mode 0600) with --key-file.
-- Exit status: 0 rotated; 1 failed, old token untouched; 2 usage.
local mistapi = require "mistapi"
local keyfile = require "mistapi.cli.keyfile"

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
local tokens = client:orgs_api_tokens()

-- 1. What the old token is allowed to do.
local res, err = tokens:get_org_api_token(org_id, old_id)
if not res then fail(1, "cannot read the old token: ", tostring(err)) end
local old = res.data
local key_handle   -- the key file, made (empty, 0600) before anything changes
if key_file then
  local kerr
  key_handle, kerr = keyfile.create(key_file)
  if not key_handle then fail(2, kerr) end
end

-- 2. The replacement, with the same privileges and src_ips (the encoder
-- drops the read-only fields the server sent, such as privileges[].org_id).
res, err = tokens:create_org_api_token(org_id, {
  name = new_name or old.name,
  privileges = old.privileges,
  src_ips = old.src_ips,
})
if not res then
  if key_handle then keyfile.discard(key_handle) end
  fail(1, "cannot create the replacement: ", tostring(err), "; the old token is untouched")
end
local new = res.data
local new_key = new.key

-- Undoes step 2 when the replacement can't be trusted.
local function abandon(why)
  local _, derr = tokens:delete_org_api_token(org_id, new.id)
  if key_handle then keyfile.discard(key_handle) end
  fail(1, why, "; the old token is untouched", derr and
    ("; the replacement " .. new.id .. " could not be deleted either: " .. tostring(derr)) or
    "; the replacement was deleted")
end

-- 3. Proof that the new key works: it reads its own token.
local new_client = assert(mistapi.new { base_url = client.settings.base_url, token = new_key })
local proof, perr = new_client:orgs_api_tokens():get_org_api_token(org_id, new.id)
new_client:close()
if not proof then abandon("the new key does not work: " .. tostring(perr)) end

-- 4. Keep the new key where the caller asked, then retire the old token.
if key_file then
  local ok, kerr = keyfile.finish(key_handle, new_key)
  key_handle = nil   -- finish removed the file itself if it failed
  if not ok then abandon(kerr) end
end
res, err = tokens:delete_org_api_token(org_id, old_id)
print(("new token: %s"):format(tostring(proof.data)))
if key_file then
  print(("new key:   written to %s (mode 0600)"):format(key_file))
else
  print("new key (shown only now; store it safely):")
  print(new_key)
end
if not res then
  fail(1, "the new token works, but the old one could not be deleted: ", tostring(err))
end
print(("old token %s deleted"):format(old_id))
