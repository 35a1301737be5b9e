-- One list answer for every list path: limit/page from the query, then the page in
-- the shape the `paging` switch names (X-Page-* headers, or a body with `next`).
local json = require "emu.json"
local respond = require "emu.respond"

local M = {}

M.DEFAULT_LIMIT, M.MAX_LIMIT = 100, 1000

local function positive_int(v, name)
  if type(v) == "table" then
    v = v[#v]
  end
  if v == nil then
    return true
  end
  local n = type(v) == "string" and v:match("^%d+$") and tonumber(v)
  if not n or n < 1 then
    return nil, name .. ": A valid positive integer is required."
  end
  return n
end

-- fetch(offset, limit) -> array of encoded JSON items, total. -> an answer table
-- declared: the spec declares limit/page on this list (sites, site groups). A token list
-- has none in the spec, so a request that asks for neither gets every token, unless the
-- token_list switch is "paged" (what a paged Mist list does: the first 100).
function M.answer(ctx, fetch, declared)
  local args = ctx.args()
  if not declared and args.limit == nil and args.page == nil and ctx.config.token_list == "whole" then
    local items, total = fetch(0, math.huge)
    if ctx.config.paging == "next" then
      return respond.raw(200, '{"results":' .. json.array_of(items) .. ',"limit":' .. math.max(total, 1)
        .. ',"page":1,"total":' .. total .. "}")
    end
    return respond.raw(200, json.array_of(items))
  end
  local limit, err = positive_int(args.limit, "limit")
  if not limit then
    return respond.detail(400, err)
  end
  local page, perr = positive_int(args.page, "page")
  if not page then
    return respond.detail(400, perr)
  end
  limit = limit == true and M.DEFAULT_LIMIT or math.min(limit, M.MAX_LIMIT)
  page = page == true and 1 or page
  local items, total = fetch((page - 1) * limit, limit)
  if ctx.config.paging == "next" then
    -- the shape of Mist's search answers: results plus a `next` path while more remain
    local parts = {
      '"results":' .. json.array_of(items), '"limit":' .. limit, '"page":' .. page, '"total":' .. total,
    }
    if page * limit < total then
      parts[#parts + 1] = '"next":' .. json.encode(ctx.path .. "?limit=" .. limit .. "&page=" .. (page + 1))
    end
    return respond.raw(200, "{" .. table.concat(parts, ",") .. "}")
  end
  return respond.raw(200, json.array_of(items), {
    ["X-Page-Limit"] = tostring(limit), ["X-Page-Page"] = tostring(page), ["X-Page-Total"] = tostring(total),
  })
end

return M
