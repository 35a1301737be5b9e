--- `mistapi-tokens completion bash`: the bash completion script, for
-- `source <(mistapi-tokens completion bash)` or a file in
-- bash-completion's completions folder (`make install` puts it there).
-- @module mistapi.cli.commands.completion

local complete = require "mistapi.cli.complete"

return {
  summary = "the bash completion script: source <(mistapi-tokens completion bash)",
  args = { "[SHELL]" },
  client = false,
  complete_args = function(n) return n == 1 and { "bash" } or {} end,
  run = function(ctx, o)
    local shell = o.args[1] or "bash"
    if shell ~= "bash" then return ctx.usage(('completion for "%s": only bash is made'):format(shell)) end
    return ctx.out(complete.BASH)
  end,
}
