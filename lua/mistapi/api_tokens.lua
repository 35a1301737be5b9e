--- The Org API Tokens of an organisation: `client:orgs_api_tokens()`.
-- The five operations are made from `mistapi.operations`; the helpers
-- (`each_org_api_token`, `list_all_org_api_tokens`) page through lists.
-- @module mistapi.api_tokens

local bulk = require "mistapi.bulk"
local core = require "mistapi.core"
local errors = require "mistapi.errors"
local operations = require "mistapi.operations"
local pager = require "mistapi.pager"
local result = require "mistapi.result"

local Tokens = { __name = "mistapi.OrgsAPITokens" }
Tokens.__index = Tokens

local api_tokens = {}

function api_tokens.new(client)
  return setmetatable({ client = client, pipeline = client.pipeline }, Tokens)
end

function Tokens:__tostring()
  return "mistapi.OrgsAPITokens (" .. self.client.settings.base_url .. ")"
end

local function validation(self, message)
  return errors.validation(errors.redact(message, self.pipeline:secrets()))
end

-- The literal pieces around a path template's parameters, so a path is a
-- single concatenation on the hot path: {"/api/v1/orgs/", "/apitokens/", ""}.
local function pieces_of(template)
  local pieces, from = {}, 1
  for a, b in template:gmatch("(){[%w_]+}()") do
    pieces[#pieces + 1] = template:sub(from, a - 1)
    from = b
  end
  pieces[#pieces + 1] = template:sub(from)
  return pieces
end
for _, op in ipairs(operations) do op.pieces = pieces_of(op.path) end

-- Ids already checked: a script asks about the same org again and again,
-- and libuuid's parse costs more than the rest of building a request.
-- Emptied when full, so it stays small.
local checked, n_checked = {}, 0
local MAX_CHECKED = 4096

-- Raises when a path parameter is not a string (a programming error);
-- returns nil and a validation error when it is not a UUID.
function Tokens:check_param(op, i, v)
  if checked[v] then return true end
  if type(v) ~= "string" then
    error(("%s: %s must be a string, got %s"):format(op.name, op.params[i], type(v)), 5)
  end
  if core.is_uuid(v) then
    if n_checked >= MAX_CHECKED then checked, n_checked = {}, 0 end
    checked[v], n_checked = true, n_checked + 1
    return true
  end
  return nil, validation(self, ('%s: "%s" is not a UUID'):format(op.params[i], errors.tidy(v)))
end

-- The path of `op` with its (one or two) parameters, each checked.
function Tokens:path_of(op, a, b)
  local ok, err = self:check_param(op, 1, a)
  if not ok then return nil, err end
  local p = op.pieces
  if #op.params == 1 then return p[1] .. a .. p[2] end
  ok, err = self:check_param(op, 2, b)
  if not ok then return nil, err end
  return p[1] .. a .. p[2] .. b .. p[3]
end

--- Validates and encodes a request body.
function Tokens:body_of(op, body)
  if type(body) ~= "table" then
    error(("%s: the body must be a table, got %s"):format(op.name, type(body)), 4)
  end
  local json, msg = core.encode_token(body, { pass_unknown = self.client.settings.pass_unknown_fields })
  if not json then return nil, validation(self, msg) end
  return json
end

local function invoke(self, op, a, b, c)
  local path, err = self:path_of(op, a, b)
  if not path then return nil, err end
  local extra
  if #op.params == 1 then extra = b else extra = c end
  local body
  if op.body then
    body, err = self:body_of(op, extra)
    if not body then return nil, err end
  elseif op.query then
    local opts
    opts, err = pager.check_options(extra, 3)
    if not opts then return nil, err end
    path = path .. pager.query(opts.limit, opts.page)
  end
  return self.pipeline:call({ method = op.method, path = path, body = body }, op)
end

for _, op in ipairs(operations) do
  Tokens[op.name] = function(self, a, b, c)
    if getmetatable(self) ~= Tokens then
      error(op.name .. ": call it with a colon, as tokens:" .. op.name .. "(...)", 2)
    end
    return invoke(self, op, a, b, c)
  end
end

-- Many ids of one operation at once; see mistapi.bulk.
local function many(self, op, org_id, ids, opts)
  if type(ids) ~= "table" then
    error(("%s: ids must be an array of strings, got %s"):format(op.name, type(ids)), 3)
  end
  opts = bulk.check_options(opts, 3)
  local reqs = {}
  for i = 1, #ids do
    local id = ids[i]
    if type(id) ~= "string" then
      error(("%s: ids[%d] must be a string, got %s"):format(op.name, i, type(id)), 3)
    end
    local path, err = self:path_of(op, org_id, id)
    if not path then
      err.message = ("ids[%d]: %s"):format(i, err.message)
      return nil, err
    end
    reqs[i] = { method = op.method, path = path }
  end
  local items = bulk.run(self.pipeline, reqs, op, opts)
  local data, errs, failed, attempts = {}, {}, 0, 0
  for i = 1, #reqs do
    local item = items[i]
    if errors.is_error(item) then
      data[i], errs[i], failed = false, item, failed + 1
      attempts = attempts + (item.attempts or 1)
    else
      data[i] = op.response == "empty" and true or item.data
      attempts = attempts + item.attempts
    end
  end
  return result.new(data, { status = failed == 0 and 200 or nil, headers = {} }, attempts, nil, {
    errors = errs, failed = failed })
end

--- Gets many tokens at once, `concurrency` at a time (default 8).
-- @return a result whose `data[i]` is the token of `ids[i]`, or false when that
--   one failed (its error in `errors[i]`); `failed` counts them. nil, err only
--   when an argument is invalid, before anything is sent.
function Tokens:get_org_api_tokens(org_id, ids, opts)
  return many(self, operations.get_org_api_token, org_id, ids, opts)
end

--- Deletes many tokens at once; `data[i]` is true when `ids[i]` was deleted.
function Tokens:delete_org_api_tokens(org_id, ids, opts)
  return many(self, operations.delete_org_api_token, org_id, ids, opts)
end

local LIST = operations.list_org_api_tokens

-- The iterator and its closer over all pages; raises on bad arguments.
function Tokens:walk(org_id, opts)
  local path, err = self:path_of(LIST, org_id)
  if not path then return nil, err end
  opts, err = pager.check_options(opts, 3)
  if not opts then return nil, err end
  local pipeline = self.pipeline
  local function fetch(path_and_query)
    return pipeline:call({ method = "GET", path = path_and_query }, LIST)
  end
  return pager.walk(fetch, path, opts, self.client.settings.base_url)
end

--- Every token of every page, for a generic `for`. Raises on error, since a
-- `for` can't receive `nil, err`. On Lua 5.4 the fourth value closes the walk
-- when a loop breaks early.
-- @usage for token in tokens:each_org_api_token(org_id) do print(token.name) end
function Tokens:each_org_api_token(org_id, opts)
  local next_item, stop = self:walk(org_id, opts)
  if not next_item then error(stop, 2) end
  local function iter()
    local item, err = next_item()
    if err then error(err, 2) end
    return item
  end
  local closer = setmetatable({}, { __close = stop })
  return iter, nil, nil, closer
end

--- The whole list, every page, as one array.
-- @return a result whose `data` is the array, or nil, err
function Tokens:list_all_org_api_tokens(org_id, opts)
  local next_item, stop = self:walk(org_id, opts)
  if not next_item then return nil, stop end
  local all = {}
  while true do
    local item, err = next_item()
    if err then return nil, err end
    if item == nil then break end
    all[#all + 1] = item
  end
  return result.new(all, { status = 200, headers = {} })
end

return api_tokens
