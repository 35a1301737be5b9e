--- `mistapi-tokens repl`: the interactive session of `make repl`, with the
-- client the global options make (--token-file, --host/--cloud/--base-url,
-- --org, --ca-file...) over the environment (MIST_HOST, MIST_APITOKEN,
-- MIST_ORG_ID, MIST_ENV_FILE...), from an installed CLI as well as from a checkout.
-- @module mistapi.cli.commands.repl

return {
  summary = "an interactive Lua session: client, tokens and org_id ready (docs/repl.md)",
  run = function(ctx)
    return require("mistapi.cli.repl").main(ctx.getenv, ctx.client, ctx.secrets)
  end,
}
