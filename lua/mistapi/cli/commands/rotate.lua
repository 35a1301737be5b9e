--- `mistapi-tokens rotate ID --key-file F`: a new token with the same
-- privileges and src_ips, its key written to F (mode 0600) before anything
-- else, proved with GET /api/v1/self, then the old one deleted (or kept with
-- --keep-old, and deleted later with --finish). A re-run with the same F
-- finishes a rotation that was interrupted: F then holds the new key.
-- @module mistapi.cli.commands.rotate

return require("mistapi.cli.rotation").command {
  command = "rotate",
  summary = "replace a token by a new one with the same privileges; the key goes to a file first",
  synopsis = "--key-file PATH|- [--keep-old] [--name NAME] [--privilege P ...] [--src-ip IP ...] | --finish",
  org = true,
  options = {
    { "privilege", "privilege", "P", "new privileges (ROLE:SCOPE[:ID]); default: the old token's" },
    { "view", "view", "VIEW", "a UI view for the --privilege before it" },
    { "src-ip", "list", "IP", "new src_ips (the only way to change them); default: the old token's" },
  },
  rotate = "rotate_org_api_token",
  finish = "finish_org_api_token_rotation",
}
