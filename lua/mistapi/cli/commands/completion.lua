--- `mistapi-tokens completion bash|zsh`: the completion script, for
-- `source <(mistapi-tokens completion bash)` or a file in bash-completion's
-- completions folder (`make install` puts the bash one there); the zsh one
-- goes in a directory of `$fpath` as `_mistapi-tokens`.
-- @module mistapi.cli.commands.completion

local complete = require "mistapi.cli.complete"

local SCRIPTS = { bash = complete.BASH, zsh = complete.ZSH }

return {
  summary = "the completion script: source <(mistapi-tokens completion bash|zsh)",
  args = { "[SHELL]" },
  client = false,
  complete_args = function(n) return n == 1 and { "bash", "zsh" } or {} end,
  run = function(ctx, o)
    local shell = o.args[1] or "bash"
    if not SCRIPTS[shell] then return ctx.usage(('completion for "%s": bash or zsh'):format(shell)) end
    return ctx.out(SCRIPTS[shell])
  end,
}
