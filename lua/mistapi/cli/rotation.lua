--- The `rotate` command, for the org's tokens and for your own alike: the
-- key file, the options handed to the library's rotation, and what is
-- printed. Each command gives its own options and its resource's two
-- methods (rotate and finish).
-- @module mistapi.cli.rotation

local collection = require "mistapi.cli.collection"
local display = require "mistapi.display"
local json = require "mistapi.cli.json"
local keystore = require "mistapi.keystore"
local lock = require "mistapi.cli.lock"
local privilege = require "mistapi.cli.privilege"

local rotation = {}

-- The options both commands take (rotate adds privileges and src_ips).
local OPTIONS = {
  { "key-file", "value", "PATH", "where the new key goes: a new file (mode 0600); if PATH holds the old"
    .. " token's key, the new key replaces it once proved (PATH.new, renamed over PATH; with --keep-old the"
    .. " old key stays in PATH.prev until --finish --key-file PATH); if it holds the key of an interrupted"
    .. " rotation, that one is finished; '-': standard output" },
  { "keep-old", "flag", nil, "keep the old token working (renamed '... [replaced by NEW_ID]') until --finish" },
  { "finish", "flag", nil, "delete an old token that --keep-old kept, now that its users switched" },
  { "name", "value", "NAME", "a new name for the new token" },
  { "no-verify", "flag", nil, "don't use the new key (a host outside its src_ips can't); read the token back"
    .. " and compare its privileges instead" },
  { "restart", "flag", nil, "delete an unfinished rotation of ID whose key is lost, and rotate afresh" },
  { "allow-self", "flag", nil, "allow deleting the token this command itself runs with" },
}

local function finish(ctx, o, spec)
  local done, err = collection.method(ctx, spec.org, spec.finish, o.id, { allow_self = o["allow-self"] })
  if not done then return ctx.fail(err) end
  local path = o["key-file"]
  if path and path ~= "-" and keystore.drop_prev(path, done.shown) then
    ctx.err(("mistapi-tokens: removed %s.prev (the old key)"):format(path))
  end
  if o.json then return ctx.out(json.encode({ deleted = done.old_id, replaced_by = done.new_id })) end
  return ctx.out(("deleted %s (replaced by %s)"):format(done.old_id, done.new_id))
end

local function rotate_locked(ctx, o, spec, path)
  local privileges, perr = privilege.parse_all(o.privileges or {})
  if perr then return ctx.usage(perr) end
  local to_stdout = path == "-"
  local say = to_stdout and ctx.err or ctx.out
  local ks, kerr = keystore.file(path, { label = "--key-file " .. path, write = ctx.write })
  if not ks then return ctx.usage(kerr) end
  local src_ips = o.src_ips and #o.src_ips > 0 and o.src_ips or nil
  local report, err = collection.method(ctx, spec.org, spec.rotate, o.id, {
    store = ks.store, load = ks.load, commit = ks.commit, discard = ks.discard, retired = ks.retired,
    keep_old = o["keep-old"], allow_self = o["allow-self"], restart = o.restart,
    verify = not o["no-verify"], name = o.name, privileges = privileges, src_ips = src_ips,
  })
  if not report then
    ks.abandon()
    local status = ctx.fail(err)
    -- the new token lives on (its delete failed): its key stays where it was stored
    if ks.stored() then ctx.err("mistapi-tokens: the new key is in " .. ks.where) end
    if ks.replaced() and keystore.check(ks.where .. ".prev") == "key" then
      ctx.err("mistapi-tokens: the old key, whose token may still live, is in " .. ks.where .. ".prev")
    end
    return status
  end
  if o.json then
    say(json.encode({ old_id = report.old_id, new_id = report.new_id, name = report.new.name,
      done = report.done, resumed = report.resumed, kept_old = report.kept_old, key_file = ks.where }))
    return ctx.OK
  end
  say(("rotated %s -> %s (%s)%s"):format(report.old_id, report.new_id, display.scrub(report.new.name),
    report.resumed and ", finishing an interrupted rotation" or ""))
  if ks.replaced() then
    say(("the new key replaced the old one in %s (mode 0600)%s"):format(ks.where,
      report.kept_old and "; the old key is in " .. ks.where .. ".prev" or ""))
  elseif not report.resumed then
    say(("the new key is in %s%s"):format(ks.where, to_stdout and "" or " (mode 0600)"))
  end
  if report.kept_old then
    say(("the old token still works; once its users switched: mistapi-tokens %s %s --finish%s"):format(
      spec.command, report.old_id, ks.replaced() and " --key-file " .. ks.where or ""))
  else
    say("the old token is deleted")
  end
  return ctx.OK
end

-- Runs a rotation command, holding the rotation's lock (mistapi.cli.lock):
-- a second run of the same rotation meanwhile is refused. -> the exit status
local function run(ctx, o, spec)
  if o.finish then return finish(ctx, o, spec) end
  local path = o["key-file"]
  if not path then return ctx.usage(spec.command .. " needs --key-file PATH (or '-' for standard output)") end
  local status, msg, busy = lock.around(lock.path_for(path, ctx.org or "self", o.id, ctx.getenv),
    "rotation of " .. o.id, function() return rotate_locked(ctx, o, spec, path) end)
  if status then return status end
  if not busy then return ctx.usage(("--key-file %s: %s"):format(path, msg)) end
  ctx.err("mistapi-tokens: " .. msg)
  return ctx.BUSY
end

--- A rotate command.
-- @param spec { command = "rotate" or "self rotate", summary, synopsis, org = true for the org's
--   tokens, options = its own (before the shared ones), rotate, finish = its resource's methods' names }
function rotation.command(spec)
  local options = {}
  for _, rows in ipairs { spec.options or {}, OPTIONS } do
    for _, row in ipairs(rows) do options[#options + 1] = row end
  end
  return {
    summary = spec.summary,
    args = { "ID" },
    synopsis = spec.synopsis,
    org = spec.org,
    options = options,
    run = function(ctx, o) return run(ctx, o, spec) end,
  }
end

return rotation
