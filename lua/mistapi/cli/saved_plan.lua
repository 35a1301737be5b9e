--- Saved plans in the CLI: `plan` with `out` and `apply` of a saved plan
-- (mistapi.lifecycle.plan_file): writing the file, and, for apply, the plan
-- to carry out, which is the saved one or nothing (the org changed since).
-- @module mistapi.cli.saved_plan

local core = require "mistapi.core"
local json = require "mistapi.cli.json"
local plan_file = require "mistapi.lifecycle.plan_file"

local saved_plan = {}

--- Writes plan `p` to `path`: a new file, or one that holds a saved plan
-- already (never another file: `plan state.json --out state.json` must not
-- destroy the desired state).
-- @return true, or nil and a message (a usage error)
function saved_plan.write(path, p, org_id)
  local kind = core.path_kind(path)
  if kind == "file" then
    local doc, is_plan = plan_file.read(path)
    if not (doc and is_plan) then
      return nil, ("--out %s: the file exists and is no saved plan; not overwriting it"):format(path)
    end
  elseif kind ~= "missing" then
    return nil, ("--out %s: not a regular file; not overwriting it"):format(path)
  end
  local f, err = io.open(path, "wb")
  if not f then return nil, ("--out %s: %s"):format(path, tostring(err)) end
  local ok, werr = f:write(json.encode(plan_file.document(p, org_id)), "\n")
  local cok, cerr = f:close()
  if not ok or not cok then return nil, ("--out %s: %s"):format(path, tostring(werr or cerr)) end
  return true
end

--- The plan `apply FILE` carries out: FILE's desired state planned now, or,
-- when FILE is a saved plan, that plan made again and checked against the
-- saved one.
-- @return the plan and whether it came from a saved plan, or nil and the exit status (the error said)
function saved_plan.plan_for(ctx, o, tokens)
  local doc, is_plan = plan_file.read(o.file)
  if doc and is_plan then
    if o.prune or o.prefix then
      return nil, ctx.usage(o.file .. " is a saved plan: its --prune and --prefix were fixed when it was made")
    end
    local ok, verr = plan_file.valid(doc, ctx.org)
    if not ok then return nil, ctx.fail(verr, o.file .. ": " .. tostring(verr.message)) end
    local p, err = tokens:plan_org_api_tokens(ctx.org, doc.desired, { prune = doc.prune == true })
    if not p then return nil, ctx.fail(err) end
    local same, serr = plan_file.check(doc, p)
    if not same then return nil, ctx.fail(serr, ("%s: %s"):format(o.file, serr.message)) end
    return p, true
  end
  local p, err = tokens:plan_org_api_tokens(ctx.org, o.file, { prune = o.prune, prefix = o.prefix })
  if not p then return nil, ctx.fail(err) end
  return p, false
end

--- For `plan FILE`: a saved plan given where a desired state belongs.
-- @return a message, or nil when FILE is not a saved plan
function saved_plan.misused(path)
  local doc, is_plan = plan_file.read(path)
  if doc and is_plan then
    return ("%s is a saved plan (plan --out): apply it with mistapi-tokens apply %s, or plan its desired state")
      :format(path, path)
  end
  return nil
end

return saved_plan
