#!/usr/bin/env lua5.4
-- The whole life of an Org API Token: create, list, get, update, delete.
-- Reads MIST_HOST, MIST_APITOKEN and MIST_ORG_ID, as the library does (make demo sets them
-- from the local emulator). Exits non-zero on the first failure.

local mistapi = require "mistapi"
-- text the server sent goes through the library's one text rule (control
-- characters and escape sequences shown as "?"), keys through its one mask
local text = require "mistapi.text"
local clean = text.clean

local client = assert(mistapi.new())   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
local org_id = client.org_id or error("set MIST_ORG_ID")
local tokens = client:orgs_api_tokens()

local function check(res, err, what)
  if not res then
    io.stderr:write(what, " failed: ", tostring(err), "\n")
    os.exit(1)
  end
  return res
end

local function privileges_text(privileges)
  local out = {}
  for i, p in ipairs(privileges or {}) do
    out[i] = clean(p.role) .. "@" .. clean(p.scope) .. (p.site_id and (":" .. clean(p.site_id)) or "")
  end
  return table.concat(out, ", ")
end

-- 1. create: the whole key is in this answer only; keep it somewhere safe.
local created = check(tokens:create_org_api_token(org_id, {
  name = "org_token_xyz",
  privileges = { { role = "admin", scope = "org" } },
  src_ips = { "127.0.0.1", "10.0.0.0/8" },
}), "create")
local token = created.data
print(("created  %s  %s  privileges: %s  key: %s (%d characters, shown masked)"):format(
  clean(token.id), clean(token.name), privileges_text(token.privileges), text.mask(token.key), #token.key))

-- 2. list
local listed = check(tokens:list_org_api_tokens(org_id), "list")
print(("listed   %d token(s) in org %s"):format(#listed.data, clean(org_id)))
for _, t in ipairs(listed.data) do
  print(("         %-36s  %-20s  key %s"):format(clean(t.id), clean(t.name), text.mask(t.key)))
end

-- 3. get
local got = check(tokens:get_org_api_token(org_id, token.id), "get")
print(("got      %s  created %s UTC  last used %s"):format(clean(got.data.name),
  os.date("!%Y-%m-%d %H:%M:%S", got.data.created_time),
  got.data.last_used and os.date("!%Y-%m-%d %H:%M:%S", got.data.last_used) or "never"))

-- 4. update: change the table we got and send it back; read-only fields are dropped.
local changed = got.data
changed.name = "org_token_xyz_renamed"
changed.privileges = { { role = "read", scope = "org" } }
check(tokens:update_org_api_token(org_id, token.id, changed), "update")
local after = check(tokens:get_org_api_token(org_id, token.id), "get after update")
print(("updated  %s  privileges: %s"):format(clean(after.data.name), privileges_text(after.data.privileges)))

-- 5. delete
local deleted = check(tokens:delete_org_api_token(org_id, token.id), "delete")
print(("deleted  %s  (HTTP %d)"):format(clean(token.id), deleted.status))
local _, gone = tokens:get_org_api_token(org_id, token.id)
print(("gone     %s"):format(clean(gone)))
client:close()
