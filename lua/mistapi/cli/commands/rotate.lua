--- `mistapi-tokens rotate ID --key-file F`: a new token with the same
-- privileges and src_ips, its key written to F (mode 0600) before anything
-- else, proved with GET /api/v1/self, then the old one deleted (or kept with
-- --keep-old, and deleted later with --finish). A re-run with the same F
-- finishes a rotation that was interrupted: F then holds the new key.
-- @module mistapi.cli.commands.rotate

local json = require "mistapi.cli.json"
local keystore = require "mistapi.cli.keystore"
local privilege = require "mistapi.cli.privilege"

local function finish(ctx, o, tokens)
  local done, err = tokens:finish_org_api_token_rotation(ctx.org, o.id, { allow_self = o["allow-self"] })
  if not done then return ctx.fail(err) end
  if o.json then return ctx.out(json.encode({ deleted = done.old_id, replaced_by = done.new_id })) end
  return ctx.out(("deleted %s (replaced by %s)"):format(done.old_id, done.new_id))
end

return {
  summary = "replace a token by a new one with the same privileges; the key goes to a file first",
  args = { "ID" },
  synopsis = "--key-file PATH|- [--keep-old] [--name NAME] [--privilege P ...] [--src-ip IP ...] | --finish",
  org = true,
  options = {
    { "key-file", "value", "PATH", "where the new key goes: a new file (mode 0600); if PATH exists it holds"
      .. " the key of an interrupted rotation, which is then finished; '-': standard output" },
    { "keep-old", "flag", nil, "keep the old token working (renamed '... [replaced by NEW_ID]') until --finish" },
    { "finish", "flag", nil, "delete an old token that --keep-old kept, now that its users switched" },
    { "name", "value", "NAME", "a new name for the new token" },
    { "privilege", "privilege", "P", "new privileges (ROLE:SCOPE[:ID]); default: the old token's" },
    { "view", "view", "VIEW", "a UI view for the --privilege before it" },
    { "src-ip", "list", "IP", "new src_ips (the only way to change them); default: the old token's" },
    { "no-verify", "flag", nil, "don't use the new key (a host outside its src_ips can't); read the token back"
      .. " and compare its privileges instead" },
    { "restart", "flag", nil, "delete an unfinished rotation of ID whose key is lost, and rotate afresh" },
    { "allow-self", "flag", nil, "allow deleting the token this command itself runs with" },
  },
  run = function(ctx, o)
    local tokens = ctx.client:orgs_api_tokens()
    if o.finish then return finish(ctx, o, tokens) end
    local path = o["key-file"]
    if not path then return ctx.usage("rotate needs --key-file PATH (or '-' for standard output)") end
    local privileges, perr = privilege.parse_all(o.privileges)
    if perr then return ctx.usage(perr) end
    local to_stdout = path == "-"
    local say = to_stdout and ctx.err or ctx.out
    local ks, kerr = keystore.file(path, ctx.out)
    if not ks then return ctx.usage(kerr) end
    local report, err = tokens:rotate_org_api_token(ctx.org, o.id, {
      store = ks.store, load = ks.load, discard = ks.discard,
      keep_old = o["keep-old"], allow_self = o["allow-self"], restart = o.restart,
      verify = not o["no-verify"],
      name = o.name, privileges = privileges, src_ips = #o.src_ips > 0 and o.src_ips or nil,
    })
    if not report then
      ks.abandon()
      return ctx.fail(err)
    end
    if o.json then
      say(json.encode({ old_id = report.old_id, new_id = report.new_id, name = report.new.name,
        done = report.done, resumed = report.resumed, kept_old = report.kept_old, key_file = ks.where }))
      return ctx.OK
    end
    say(("rotated %s -> %s (%s)%s"):format(report.old_id, report.new_id, tostring(report.new.name):gsub("%c", "?"),
      report.resumed and ", finishing an interrupted rotation" or ""))
    if not report.resumed then say(("the new key is in %s%s"):format(ks.where, to_stdout and "" or " (mode 0600)")) end
    if report.kept_old then
      say(("the old token still works; once its users switched: mistapi-tokens rotate %s --finish"):format(
        report.old_id))
    else
      say("the old token is deleted")
    end
    return ctx.OK
  end,
}
