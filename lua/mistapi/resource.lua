--- Builds any resource from data: its row in `mistapi.resources`, its model
-- in `mistapi.models` and its rows in `mistapi.operations`. Every resource
-- gets, from the same code: one method an operation (path parameters checked
-- as UUIDs, the body validated and written by the model, list options
-- checked), the paging helpers over its `list` operation and the bulk
-- helpers over its `get` and `delete` operations; all of them go through the
-- client's pipeline (auth, retries, rotation, redaction, logging, errors).
-- @module mistapi.resource

local core = require "mistapi.lazy_core"
local errors = require "mistapi.errors"
local models = require "mistapi.models"
local operations = require "mistapi.operations"
local resources = require "mistapi.resources"
local result = require "mistapi.result"

-- Paging and bulk load with the first call that needs them.
local function pager() return require "mistapi.pager" end
local function bulk() return require "mistapi.bulk" end

local resource = {}

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

-- Ids already checked: a script asks about the same org again and again,
-- and libuuid's parse costs more than the rest of building a request.
-- Emptied when full, so it stays small; shared by every resource.
local checked, n_checked = {}, 0
local MAX_CHECKED = 4096

local function validation(self, message)
  return errors.validation(errors.redact(message, self.pipeline:secrets()))
end

-- The methods every resource shares; each class's own table falls back here.
local Base = {}

-- Raises when a path parameter is not a string (a programming error);
-- returns nil and a validation error when it is not a UUID.
function Base:check_param(op, i, v)
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

--- The path of `op` with its (none, one or two) parameters, each checked.
-- (An id checked before is looked up here, without a call: most calls are
-- about ids seen before.)
function Base:path_of(op, a, b)
  local p, n = op.pieces, op.n_params
  if n == 0 then return p[1] end
  local ok, err
  if not checked[a] then
    ok, err = self:check_param(op, 1, a)
    if not ok then return nil, err end
  end
  if n == 1 then return p[1] .. a .. p[2] end
  if not checked[b] then
    ok, err = self:check_param(op, 2, b)
    if not ok then return nil, err end
  end
  return p[1] .. a .. p[2] .. b .. p[3]
end

--- Validates and encodes a request body by the resource's model.
function Base:body_of(op, body)
  if type(body) ~= "table" then
    error(("%s: the body must be a table, got %s"):format(op.name, type(body)), 4)
  end
  local json, msg = models.encode(self.model, body, self.client.settings.pass_unknown_fields)
  if not json then return nil, validation(self, msg) end
  return json
end

-- An operation whose parameters are not all known good yet, or that takes
-- list options: its path checked and made, then sent.
local function invoke_checked(self, op, a, b, c)
  local path, err = self:path_of(op, a, b)
  if not path then return nil, err end
  local n, extra = op.n_params, c
  if n == 0 then extra = a elseif n == 1 then extra = b end
  local body
  if op.body then
    body, err = self:body_of(op, extra)
    if not body then return nil, err end
  elseif op.query then
    local opts
    opts, err = pager().check_options(extra, 3)
    if not opts then return nil, err end
    path = path .. pager().query(opts.limit, opts.page)
    -- a page holds at most what was asked for
    return self.pipeline:call({ method = op.method, path = path, max_items = opts.limit }, op)
  end
  return self.pipeline:call({ method = op.method, path = path, body = body }, op)
end

-- One operation: a, b, c are the path parameters, then the body or the
-- list options. (An operation without list options makes its URL in one
-- piece, and the pipeline no request table unless it must.)
local function invoke(self, op, a, b, c)
  local n, route = op.n_params, op.route
  if route == "query" or (n > 0 and not checked[a]) or (n > 1 and not checked[b]) then
    return invoke_checked(self, op, a, b, c)
  end
  local body, err
  if route == "body" then
    local extra = c
    if n == 0 then extra = a elseif n == 1 then extra = b end
    body, err = self:body_of(op, extra)
    if not body then return nil, err end
  end
  local p, pipeline = op.pieces, self.pipeline
  local base = pipeline.s.base_url
  if n == 2 then return pipeline:call_url(op.method, base .. p[1] .. a .. p[2] .. b .. p[3], body, op) end
  if n == 1 then return pipeline:call_url(op.method, base .. p[1] .. a .. p[2], body, op) end
  return pipeline:call_url(op.method, base .. p[1], body, op)
end

-- Many ids of one operation at once (the id is its last path parameter);
-- see mistapi.bulk.
local function many(self, op, parent, ids, opts)
  if type(ids) ~= "table" then
    error(("%s: ids must be an array of strings, got %s"):format(op.name, type(ids)), 3)
  end
  opts = bulk().check_options(opts, 3)
  local reqs = {}
  for i = 1, #ids do
    local id = ids[i]
    if type(id) ~= "string" then
      error(("%s: ids[%d] must be a string, got %s"):format(op.name, i, type(id)), 3)
    end
    local path, err
    if op.n_params == 1 then path, err = self:path_of(op, id) else path, err = self:path_of(op, parent, id) end
    if not path then
      err.message = ("ids[%d]: %s"):format(i, err.message)
      return nil, err
    end
    reqs[i] = { method = op.method, path = path }
  end
  local items = bulk().run(self.pipeline, reqs, op, opts)
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

--- The iterator over every item of every page of the `list` operation, and
-- its closer: `walk(parent, opts)`, or `walk(opts)` when the list has no path
-- parameter. Raises on bad arguments.
function Base:walk(a, b)
  local list = self.ops.list
  local path, err, opts
  if list.n_params == 0 then
    path, opts = list.pieces[1], a
  else
    path, err = self:path_of(list, a)
    if not path then return nil, err end
    opts = b
  end
  opts, err = pager().check_options(opts, 3)
  if not opts then return nil, err end
  local pipeline = self.pipeline
  local function fetch(path_and_query, max_items)
    return pipeline:call({ method = "GET", path = path_and_query, max_items = max_items }, list)
  end
  return pager().walk(fetch, path, opts, self.client.settings.base_url, function() return pipeline:secrets() end)
end

-- Every item of every page, for a generic `for`. Raises on error, since a
-- `for` can't receive `nil, err`. On Lua 5.4 the fourth value closes the walk
-- when a loop breaks early.
local function each(self, a, b)
  local next_item, stop = self:walk(a, b)
  if not next_item then error(stop, 2) end
  return pager().iterate(next_item, stop)
end

-- The whole list, every page, as one array: a result whose `data` is the
-- array, or nil, err.
local function list_all(self, a, b)
  return pager().collect(self:walk(a, b))
end

local classes = {}

-- The metatable of the resource named `accessor`, made once.
local function class_of(accessor)
  local class = classes[accessor]
  if class then return class end
  local row = resources[accessor]
  if not row then error("mistapi.resource: no resource " .. tostring(accessor), 3) end
  local model = models[row.model]
  if not model then error("mistapi.resource: " .. accessor .. " names no model " .. tostring(row.model), 3) end
  class = setmetatable({ __name = row.class, row = row, model = model, ops = {} }, { __index = Base })
  class.__index = class
  function class.__tostring(self)
    return row.class .. " (" .. self.client.settings.base_url .. ")"
  end

  for _, op in ipairs(operations.of(accessor)) do
    op.pieces = pieces_of(op.path)
    op.n_params = #op.params
    -- what follows the path parameters (read as one field that is always there)
    op.route = op.query and "query" or op.body and "body" or "path"
    if op.n_params > 2 then error("mistapi.resource: " .. op.name .. " takes more than two path parameters", 3) end
    op.response = models.response(model, op.returns)
    class.ops[op.role] = op
    class[op.name] = function(self, a, b, c)
      if getmetatable(self) ~= class then
        error(op.name .. ": call it with a colon, as " .. row.var .. ":" .. op.name .. "(...)", 2)
      end
      return invoke(self, op, a, b, c)
    end
  end

  local h, ops = row.helpers or {}, class.ops
  if h.each and ops.list then class[h.each] = each end
  if h.list_all and ops.list then class[h.list_all] = list_all end
  -- a bulk helper takes the id's parent (if any), then the ids and the options
  for _, pair in ipairs { { h.get_many, ops.get }, { h.delete_many, ops.delete } } do
    local name, op = pair[1], pair[2]
    if name and op then
      if op.n_params == 1 then
        class[name] = function(self, ids, opts) return many(self, op, nil, ids, opts) end
      else
        class[name] = function(self, parent, ids, opts) return many(self, op, parent, ids, opts) end
      end
    end
  end
  -- methods made of other modules' logic (the token lifecycle: mistapi.lifecycle.methods)
  if row.extend then require(row.extend[1]).extend(class, row.extend[2]) end
  classes[accessor] = class
  return class
end
resource.class_of = class_of

--- A resource of `client`: the value `client:<accessor>()` returns.
function resource.new(accessor, client)
  return setmetatable({ client = client, pipeline = client.pipeline }, class_of(accessor))
end

--- Whether `v` is a resource this module built.
function resource.is_resource(v)
  local mt = type(v) == "table" and getmetatable(v)
  return mt ~= nil and mt ~= false and rawget(mt, "row") ~= nil and classes[mt.row.accessor] == mt
end

return resource
