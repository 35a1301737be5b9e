--- What `audit`, `plan` and `apply` share when they run across orgs: the
-- options that name the orgs (`--org` repeated, `--orgs-file`, `--all-orgs`),
-- the org ids they give, the progress bar on a terminal, and the line that
-- names a failed org.
-- @module mistapi.cli.fleet

local config = require "mistapi.config"
local orgs = require "mistapi.orgs"
local text = require "mistapi.text"

local fleet = {}

--- The options of a command that runs across orgs.
fleet.OPTIONS = {
  { "orgs-file", "value", "FILE", "run for each org id in FILE (one a line; # starts a comment); with --org"
    .. " repeated and --all-orgs, every org named once" },
  { "all-orgs", "flag", nil, "run for every org the credentials reach: the orgs /self's privileges name and"
    .. " the orgs of an MSP they name (where they may manage API tokens)" },
  { "concurrency", "positive", "N", ("with several orgs, requests under way at once (default %d, at most %d)")
    :format(config.CONCURRENCY, config.MAX_CONCURRENCY) },
}

--- The options of a command: its own rows, then the fleet's.
function fleet.options(rows)
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = r end
  for _, r in ipairs(fleet.OPTIONS) do out[#out + 1] = r end
  return out
end

--- Does the command line name several orgs (or a way to find them)?
function fleet.wanted(o)
  return #(o.repeated.org or {}) > 1 or o["orgs-file"] ~= nil or o["all-orgs"] == true
end

--- The orgs to run for, each once, in the order named: `--org`s, the file's, then --all-orgs'.
-- @return an array of { id, name }, or nil and the exit status (said)
function fleet.orgs(ctx, o)
  local most = config.MAX_CONCURRENCY
  if o.concurrency and o.concurrency > most then
    return nil, ctx.usage(("--concurrency %d: at most %d"):format(o.concurrency, most))
  end
  local list, seen = {}, {}
  local function add(id, name)
    local key = id:lower()
    if not seen[key] then
      seen[key] = true
      list[#list + 1] = { id = key, name = name }
    end
  end
  for _, id in ipairs(o.repeated.org or {}) do add(id) end
  if o["orgs-file"] then
    local ids, err = orgs.read_file(o["orgs-file"])
    if not ids then return nil, ctx.usage("--orgs-file " .. err.message) end
    for _, id in ipairs(ids) do add(id) end
  end
  if o["all-orgs"] then
    local res, err = ctx.client:list_orgs()
    if not res then return nil, ctx.fail(err) end
    local left = 0
    for _, org in ipairs(res.data) do
      if org.role == "admin" then add(org.id, org.name) else left = left + 1 end
    end
    if left > 0 then
      ctx.err(("mistapi-tokens: %d org%s left out: the credentials' role there can't manage API tokens (admin can)")
        :format(left, left == 1 and "" or "s"))
    end
  end
  if #list == 0 then return nil, ctx.usage("no org to run for: the credentials reach none with --all-orgs") end
  return list
end

--- "org ID (NAME)" for a message.
function fleet.label(org)
  if org.name then return ("org %s (%s)"):format(org.id, text.line(org.name, 60)) end
  return "org " .. org.id
end

--- A progress bar on standard error while orgs are done, when standard
-- output and standard error are a terminal; nothing otherwise. It says the
-- calls left in the token's budget (client:budget_left(), which takes none),
-- so a person sees a shared budget run low before the run waits for room.
-- @param ctx the command's context
-- @param total the number of orgs
-- @param what what is counted beside the orgs ("findings", "changes")
-- @return { step = function(n_counted), clear = function(), done = function() }
--   (clear: erased until the next step, for output of the run's own)
function fleet.bar(ctx, total, what)
  if not (ctx.is_terminal and ctx.is_terminal()) then
    return { step = function() end, clear = function() end, done = function() end }
  end
  local WIDTH = 30
  local done, counted, last = 0, 0, ""
  local function draw()
    local filled = total > 0 and math.floor(WIDTH * done / total) or WIDTH
    last = ("\r[%s%s] %d/%d orgs, %d %s"):format(("#"):rep(filled), ("."):rep(WIDTH - filled), done, total, counted,
      what)
    local left = ctx.client and ctx.client:budget_left()
    if left then last = last .. (", %d call%s left in the budget"):format(left, left == 1 and "" or "s") end
    ctx.progress_write(last)
  end
  draw()
  return {
    step = function(n)
      done, counted = done + 1, counted + (n or 0)
      draw()
    end,
    clear = function() ctx.progress_write("\r" .. (" "):rep(#last) .. "\r") end,
    done = function() ctx.progress_write("\r" .. (" "):rep(#last) .. "\r") end,
  }
end

return fleet
