--- The models the client knows, as the C core knows them: for each, the
-- shapes `core.decode` checks an answer against and the model
-- `core.encode_token` writes a request body by. A resource (`mistapi.resources`)
-- names its model; the pipeline decodes an answer by a shape of `shapes`.
-- @module mistapi.models

local core = require "mistapi.lazy_core"
local schema = require "mistapi.schema"

-- Each token model of the schema: `one` and `list`, core.decode's shapes of
-- one and of a list; `encoder`, core.encode_token's model (nil for the
-- first, its default).
local models = {}
for i, m in ipairs(schema.models) do
  models[m.name] = {
    one = m.one, list = m.list,
    encoder = i > 1 and m.name or nil,
    noun = "token", plural = "tokens",
  }
end

--- The answer shapes the pipeline knows, by name. Each: `core` (the shape
-- given to core.decode: nil is no model), `list` (an array, or a page of one:
-- `{"results": [...], "next": ...}`), `or_empty` (an empty body is no data),
-- `empty` (the body is ignored), `any` (any JSON value: client:request),
-- `listed` (one object, or a list holding it: `list_core` is then the shape),
-- `whole` (one object of the model and nothing else: a transport may decode
-- it as it arrives, `session:request`'s shape argument).
-- A policy with no `response` wants a JSON object, unchecked.
local shapes = {
  empty = { empty = true },
  json = { any = true, or_empty = true },
  list = { list = true, noun = "items" },
}
models.shapes = shapes

for name, m in pairs(models) do
  if name ~= "shapes" then
    m.name = name
    shapes[m.one] = { core = m.one, noun = m.noun, whole = true }
    shapes[m.list] = { core = m.list, list = true, noun = m.plural }
    shapes[m.one .. "_or_empty"] = { core = m.one, or_empty = true, noun = m.noun }
    shapes[m.one .. "_or_listed"] = { core = m.one, list_core = m.list, listed = true, noun = m.noun }
    -- one options table per pass_unknown setting: the core only reads them
    m.encode_opts = {
      [false] = { pass_unknown = false, model = m.encoder },
      [true] = { pass_unknown = true, model = m.encoder },
    }
  end
end

--- The answer shape of `returns` ("one", "list", "one_or_empty",
-- "one_or_listed", "none") for model `m`.
function models.response(m, returns)
  if returns == "none" then return "empty" end
  if returns == "one" then return m.one end
  if returns == "list" then return m.list end
  if returns == "one_or_empty" then return m.one .. "_or_empty" end
  if returns == "one_or_listed" then return m.one .. "_or_listed" end
  error("unknown returns " .. tostring(returns), 2)
end

--- Validates and writes a request body of model `m`.
-- @return the JSON text, or nil and a message naming the field and the rule
function models.encode(m, body, pass_unknown)
  return core.encode_token(body, m.encode_opts[pass_unknown == true])
end

return models
