--- The `delete` command, for the org's tokens and for your own alike: the
-- token is read first, so the question and the output name it as well as
-- its id, and the token this command itself runs with is refused unless
-- `--allow-self` (as rotate and apply refuse it), before anything changes.
-- @module mistapi.cli.delete_command

local collection = require "mistapi.cli.collection"
local display = require "mistapi.display"
local json = require "mistapi.cli.json"

local delete_command = {}

--- A delete command.
-- @param spec { summary, org = true for the org's tokens, whose = "" or "your " (for the question) }
function delete_command.new(spec)
  return {
    summary = spec.summary,
    args = { "ID" },
    org = spec.org,
    options = {
      { "yes", "flag", nil, "do not ask; needed when standard input is not a terminal" },
      { "allow-self", "flag", nil, "allow deleting the token this command itself runs with" },
    },
    run = function(ctx, o)
      local target = collection.target(ctx, spec.org)
      local token, err = target:get(o.id)
      if not token then return ctx.fail(err) end
      local shown = ('"%s" (%s)'):format(display.scrub(token.name), display.scrub(o.id))
      -- the lifecycle's one guard of the client's own token
      local refusal = require("mistapi.lifecycle.failure").own(target, token, o["allow-self"], "delete", "read",
        "delete")
      if refusal then
        return ctx.fail(refusal, ("%s is the token this command runs with; deleting it would cut it off:"
          .. " pass --allow-self to do it anyway; nothing was changed"):format(shown))
      end
      if not o.yes then
        local ok, status = ctx.confirm(("delete %stoken %s? Whatever uses it stops working.")
          :format(spec.whose or "", shown))
        if not ok then return status end
      end
      local done, derr = target:delete(o.id)
      if not done then return ctx.fail(derr) end
      return ctx.out(o.json and json.encode({ deleted = o.id, name = token.name }) or ("deleted " .. shown))
    end,
  }
end

return delete_command
