--- Shell completion for `mistapi-tokens`, read from the command registry.
-- The bash script asks the program itself (`mistapi-tokens __complete WORD...`)
-- so commands added later complete with no change to the script.
-- @module mistapi.cli.complete

local registry = require "mistapi.cli.registry"
local schema = require "mistapi.schema"

local complete = {}

complete.BASH = [=[
# bash completion for mistapi-tokens (made by: mistapi-tokens completion bash)
_mistapi_tokens() {
  local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\n' out
  out=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  if [[ $out == __files__ ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$out" -- "$cur"))
  fi
}
complete -o default -F _mistapi_tokens mistapi-tokens]=]

-- zsh: the same question asked of the program, through compadd (files with _files).
complete.ZSH = [=[
#compdef mistapi-tokens
# zsh completion for mistapi-tokens (made by: mistapi-tokens completion zsh)
# Put it in a directory of $fpath as _mistapi-tokens, or: source <(mistapi-tokens completion zsh)
_mistapi_tokens() {
  local -a out
  out=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}") || return 1
  if [[ ${out[1]} == __files__ ]]; then
    _files
  else
    compadd -Q -- "${out[@]}"
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _mistapi_tokens "$@"
else
  compdef _mistapi_tokens mistapi-tokens
fi]=]

-- ROLE:SCOPE for every role and scope of the schema; a scope that takes an
-- id (site, sitegroup) ends with ":" for the id to be typed.
local PRIVILEGES = {}
do
  local takes_id = {}
  for _, f in ipairs(schema.privilege.fields) do
    if f.type == "scope_id" then takes_id[f.scope] = true end
  end
  for _, scope in ipairs(schema.scopes) do
    for _, role in ipairs(schema.roles) do
      PRIVILEGES[#PRIVILEGES + 1] = role .. ":" .. scope .. (takes_id[scope] and ":" or "")
    end
  end
end

local function names(rows, out)
  for _, row in ipairs(rows or {}) do out[#out + 1] = "--" .. row[1] end
  return out
end

--- The words that may come next.
-- @param words the words after the program name; the last is the one being completed
-- @return an array of candidates, or { "__files__" } for a file name
function complete.candidates(words)
  local cur = words[#words] or ""
  local cmd, top, topname, positional = nil, nil, nil, 0
  local i = 1
  while i < #words do
    local w = words[i]
    local name = w:match("^%-%-([%w%-]+)$")
    local row = name and registry.option(cmd, name)
    if row and row[2] ~= "flag" then
      i = i + 1   -- its value
    elseif not w:match("^%-") then
      if not top then
        if not registry.is_command(w) then return {} end
        top, topname = registry.load(w), w
        if not top.group then cmd = top end
      elseif not cmd then   -- a group's subcommand
        for _, s in ipairs(top.group) do
          if s == w then cmd = registry.load(topname, s) end
        end
        if not cmd then return {} end
      else
        positional = positional + 1
      end
    end
    i = i + 1
  end
  local prev = words[#words - 1]
  local prev_name = prev and prev:match("^%-%-([%w%-]+)$")
  local prev_row = prev_name and registry.option(cmd, prev_name)
  if prev_row and prev_row[2] ~= "flag" then
    if prev_name:match("file$") then return { "__files__" } end
    if prev_row[2] == "privilege" then return PRIVILEGES end
    if prev_row[2] == "view" then return schema.views end
    return {}
  end
  if cur:match("^%-") then
    return names(registry.GLOBAL_OPTIONS, names(cmd and cmd.options, {}))
  end
  if not top then return registry.NAMES end
  if top.group and not cmd then return top.group end
  if cmd and cmd.complete_args then return cmd.complete_args(positional + 1) end
  return {}
end

return complete
