--- Where `rotate` and `apply` keep new keys: files the CLI creates (mode
-- 0600, never over an existing file, made before anything is sent), or
-- standard output when asked with "-". Each store gives the lifecycle's
-- `store`, `load` and `discard` functions: `load` reads back a key file that
-- already exists, so a re-run with the same path finishes an interrupted
-- rotation instead of making another key.
-- @module mistapi.cli.keystore

local keyfile = require "mistapi.cli.keyfile"

local keystore = {}

local function read_key(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local line = f:read("*l")
  f:close()
  return line and line:match("^%s*(%S+)%s*$")
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

-- An empty file: a run stopped between making the file and writing the key.
local function is_empty(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local some = f:read(1)
  f:close()
  return some == nil
end

-- One key file: made now when it doesn't exist; read back when it does.
local function slot(path, option)
  local s = { path = path }
  if exists(path) then
    if not is_empty(path) then
      s.existing = true
      return s
    end
    os.remove(path)   -- nothing in it to keep
  end
  local handle, err = keyfile.create(path)
  if not handle then return nil, (err:gsub("^%-%-key%-file", option)) end
  s.handle = handle
  return s
end

local function store_in(s, key)
  if not s.handle then return nil, s.path .. " exists; not overwriting it" end
  local ok, err = keyfile.finish(s.handle, key)
  s.handle = nil
  if not ok then return nil, err end
  s.written = true
  return true
end

local function discard(s)
  if s.handle then
    keyfile.discard(s.handle)
    s.handle = nil
  elseif s.written then
    os.remove(s.path)   -- a key whose token was deleted again: worth nothing
    s.written = false
  end
end

--- A store for one key: `path`, or "-" for standard output (`out` writes a line).
-- @return the store, or nil and a usage message
function keystore.file(path, out)
  if path == "-" then
    return { where = "standard output", store = function(key) out(key); return true end,
      discard = function() end, abandon = function() end }
  end
  local s, err = slot(path, "--key-file")
  if not s then return nil, err end
  return {
    where = path,
    store = function(key) return store_in(s, key) end,
    load = function() return s.existing and read_key(path) or nil end,
    discard = function() discard(s) end,
    abandon = function() if not s.written then discard(s) end end,
  }
end

--- A file name for a token name: letters, digits, '.', '_', '-'; others become '_'.
function keystore.file_name(name)
  return (name:gsub("[^%w%._%-]", "_"):gsub("^%.", "_")) .. ".key"
end

--- A store for many keys: DIR/<name>.key for each name in `names`.
-- @return the store (with `path_of(name)`), or nil and a usage message
function keystore.dir(dir, names)
  if dir == "" or not os.rename(dir, dir) then return nil, ("--key-dir %s: no such directory"):format(dir) end
  local slots, by_file = {}, {}
  local function abandon()
    for _, s in pairs(slots) do if not s.written then discard(s) end end
  end
  for _, name in ipairs(names) do
    local file = keystore.file_name(name)
    if by_file[file] then
      abandon()
      return nil, ("--key-dir: tokens %q and %q would share the key file %s"):format(by_file[file], name, file)
    end
    by_file[file] = name
    local s, err = slot(dir .. "/" .. file, "--key-dir")
    if not s then
      abandon()
      return nil, err
    end
    slots[name] = s
  end
  return {
    where = dir,
    path_of = function(name) return slots[name] and slots[name].path end,
    existing = function(name) return slots[name] ~= nil and slots[name].existing == true end,
    store = function(key, _, name)
      local s = slots[name]
      if not s then return nil, "no key file was prepared for " .. tostring(name) end
      return store_in(s, key)
    end,
    load = function(_, name)
      local s = slots[name]
      return s and s.existing and read_key(s.path) or nil
    end,
    discard = function(_, name) if slots[name] then discard(slots[name]) end end,
    abandon = abandon,
  }
end

return keystore
