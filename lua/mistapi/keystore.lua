--- Where new keys go: the one key store of the CLI and the library. A store
-- hands the lifecycle (rotate, apply) its `store`, `load` and `discard`
-- functions, and keeps the promises of docs/lifecycle.md:
--
-- * a path is checked before anything is sent: a new path is made at once
--   (empty, mode 0600, never through a symlink); an existing regular file
--   holds the key of an interrupted run (`load` reads it back); a
--   directory, a symlink, a device or anything else is refused, untouched;
-- * nothing is removed or overwritten but a file this store made itself:
--   `discard` (the library calls it only once the token is surely gone)
--   and `abandon` (a run that ends with no key written) remove only that;
-- * "-" is standard output, and a key counts as stored only when its write
--   and flush succeeded (a full disk, a closed pipe: `store` fails, so the
--   library deletes the new token instead of keeping one nobody holds);
-- * a file that holds the key of the very token being replaced is replaced
--   in place, as certbot does: the new key goes to PATH.new, and `commit`
--   (once the key is proved, before the old token goes) renames it over PATH.
--
--   local keystore = require "mistapi.keystore"
--   local ks = assert(keystore.file("/etc/mist/ci.key"))
--   tokens:rotate_org_api_token(org_id, id, { store = ks.store, load = ks.load, commit = ks.commit,
--     discard = ks.discard })
--
-- The file itself is made and written by the C core
-- (`core.create_private_file`, `core.path_kind`): plain Lua can neither set
-- a mode nor refuse an existing file or a symlink.
-- @module mistapi.keystore

local core = require "mistapi.core"

local keystore = {}

local WHY = {
  directory = "is a directory: the path exists; not overwriting it",
  symlink = "is a symlink: the file exists; not overwriting it",
  device = "is not a regular file (a device): the path exists; not overwriting it",
  other = "is not a regular file: the path exists; not overwriting it",
}

local function read_key(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local line = f:read("*l")
  f:close()
  return line and line:match("^%s*(%S+)%s*$")
end

local function create(path, label)
  local f, msg, code = core.create_private_file(path)
  if f then return f end
  local why
  if code == 17 then  -- EEXIST: made by someone else since it was looked at
    why = "the file exists; not overwriting it"
  elseif code == 2 or code == 20 then  -- ENOENT, ENOTDIR
    why = "no such directory"
  else
    why = "cannot create the file (" .. tostring(msg):lower() .. ")"
  end
  return nil, ("%s: %s"):format(label, why)
end

--- What `path` is, in the store's terms.
-- @return "new" (nothing there: it will be made), "empty" (a regular file
--   with nothing in it), "key" (a regular file with something in it), or
--   nil and a message saying why the path can't hold a key
function keystore.check(path, label)
  label = label or path
  if type(path) ~= "string" or path == "" then return nil, label .. ": needs a path" end
  local kind, size = core.path_kind(path)
  if not kind then
    local why = tostring(size):lower()
    -- ENOTDIR: a part of the path is a file; said as create() says it, the same on every run
    if why:find("not a directory", 1, true) then why = "no such directory (a part of the path is a file)" end
    return nil, ("%s: %s"):format(label, why)
  end
  if kind == "missing" then return "new" end
  if kind ~= "file" then return nil, ("%s %s"):format(label, WHY[kind] or WHY.other) end
  return size == 0 and "empty" or "key"
end

-- One key file: made now when new (or empty: a run stopped before its key
-- came, nothing in it to keep); read back when it holds a key.
local function slot(path, label, new_only)
  local what, err = keystore.check(path, label)
  if not what then return nil, err end
  if new_only and what ~= "new" then return nil, label .. ": the file exists; not overwriting it" end
  local s = { path = path, label = label }
  if what == "key" then
    s.existing = true
    return s
  end
  if what == "empty" then os.remove(path) end
  local handle, cerr = create(path, label)
  if not handle then return nil, cerr end
  s.handle = handle
  return s
end

local mask, is_masked = require("mistapi.text").mask, require("mistapi.text").is_masked

-- Whether `key` is the one a token shows masked as `shown`.
local function is_key_of(key, shown)
  return type(key) == "string" and is_masked(shown) and mask(key) == shown
end

local function write_new(path, label, key)
  local f, err = create(path, label)
  if not f then return nil, err end
  local ok, werr = f:write(key .. "\n")
  if ok then ok, werr = f:close() end
  if not ok then
    f:discard()   -- made here, holding a part of a key at most
    return nil, ("%s: %s"):format(label, tostring(werr):lower())
  end
  return f
end

-- The file holds the key of the very token being replaced: the new key goes
-- beside it (PATH.new, 0600) until `commit` renames it over PATH.
local function stage(s, key)
  local staged = s.path .. ".new"
  local what, err = keystore.check(staged, staged)
  if not what then return nil, err end
  if what ~= "new" then
    return nil, ("%s exists, left by an earlier run: remove it (its token is gone) and run again"):format(staged)
  end
  local f, werr = write_new(staged, staged, key)
  if not f then return nil, werr end
  s.staged, s.written = f, true
  return true
end

local function store_in(s, key, old)
  if type(key) ~= "string" or key == "" then return nil, s.label .. ": no key to store" end
  if s.existing and not s.written and old and is_key_of(read_key(s.path), old.key) then return stage(s, key) end
  if not s.handle or s.written then return nil, ("%s: the file exists; not overwriting it"):format(s.label) end
  local ok, err = s.handle:write(key .. "\n")
  if ok then ok, err = s.handle:close() end
  if not ok then
    s.handle:discard()   -- made here, holding a part of a key at most
    s.handle = nil
    return nil, ("%s: %s"):format(s.label, tostring(err):lower())
  end
  s.written = true
  return true
end

-- The key an existing file holds for `token`: the file's own, or the one an
-- earlier run staged beside it (PATH.new) when the file still holds the old key.
local function load_from(s, token)
  if not s.existing then return nil end
  local key = read_key(s.path)
  if token and not is_key_of(key, token.key) and keystore.check(s.path .. ".new") == "key" then
    local staged = read_key(s.path .. ".new")
    if is_key_of(staged, token.key) then
      s.staged_earlier = true
      return staged
    end
  end
  return key
end

-- The new key is proved: PATH.new takes PATH's place in one rename, so a
-- reader sees the old key or the new one, never none. The old key is first
-- copied to PATH.prev (0600): its token still lives until the rotation
-- deletes it (`retired` then removes PATH.prev), or until `--finish` with
-- `keep_prev`.
local function commit(s)
  if not (s.staged or s.staged_earlier) then return true end
  do
    local prev, old = s.path .. ".prev", read_key(s.path)
    local what, err = keystore.check(prev, prev)
    if not what then return nil, err end
    if what == "new" then
      local f, werr = write_new(prev, prev, old)
      if not f then return nil, werr end
    elseif read_key(prev) ~= old then
      return nil, prev .. ": the file exists and holds another key; not overwriting it"
    end
  end
  local ok, err = os.rename(s.path .. ".new", s.path)
  if not ok then return nil, ("%s: %s"):format(s.label, tostring(err)) end
  s.staged, s.staged_earlier, s.committed = nil, nil, true   -- PATH.new is PATH now: never discard it
  return true
end

-- The file this store made, removed (the path is left alone if it now names another file).
local function remove(s)
  if s.staged then s.staged:discard() end
  if s.handle then s.handle:discard() end
  s.handle, s.staged, s.written = nil, nil, false
end

-- A writer that reports failure: `nil, message` or false.
local function failed(ok, err)
  return ok == false or (ok == nil and err ~= nil)
end

local function stdout_writer(s)
  local ok, err = io.stdout:write(s)
  if ok then ok, err = io.stdout:flush() end
  if not ok then return nil, err end
  return true
end

--- A store for one key.
-- @param path a file's path, or "-" for standard output
-- @param opts { label = "--key-file PATH" (how messages name it), write =
--   function(text) -> true | nil, message (standard output's writer),
--   new_only = true (refuse any existing path: no key to read back),
--   keep_prev (accepted, no longer needed: a replaced key is always kept at PATH.prev until
--   its token is gone) }
-- @return the store { where, store, load, commit, discard, retired, abandon, stored, replaced },
--   or nil and a message
function keystore.file(path, opts)
  opts = opts or {}
  if path == "-" then
    local write, stored = opts.write or stdout_writer, false
    return {
      where = "standard output",
      store = function(key)
        if type(key) ~= "string" or key == "" then return nil, "standard output: no key to store" end
        local ok, err = write(key .. "\n")
        if failed(ok, err) then
          return nil, "standard output could not be written (" .. tostring(err or "?"):lower() .. ")"
        end
        stored = true
        return true
      end,
      commit = function() return true end,
      discard = function() end,
      abandon = function() end,
      stored = function() return stored end,
      replaced = function() return false end,
    }
  end
  local s, err = slot(path, opts.label or path, opts.new_only)
  if not s then return nil, err end
  return {
    where = path,
    store = function(key, _, _, old) return store_in(s, key, old) end,
    load = function(token) return load_from(s, token) end,
    commit = function() return commit(s) end,
    discard = function() remove(s) end,
    retired = function(old) keystore.drop_prev(path, old and old.key) end,
    abandon = function() if not s.written then remove(s) end end,
    stored = function() return s.written == true or s.staged_earlier == true end,
    replaced = function() return s.committed == true end,
  }
end

--- Once the old token is gone (deleted by the rotation, or by finish after
-- keep_old): removes PATH.prev, only if it holds the key of the token now
-- gone (masked as `shown`).
-- @return true if it was removed
function keystore.drop_prev(path, shown)
  local prev = path .. ".prev"
  if keystore.check(prev) ~= "key" or not is_key_of(read_key(prev), shown) then return false end
  return os.remove(prev) ~= nil
end

--- A file name for a token name: letters, digits, '.', '_', '-'; others become '_'.
function keystore.file_name(name)
  return (name:gsub("[^%w%._%-]", "_"):gsub("^%.", "_")) .. ".key"
end

--- A store for many keys: DIR/<name>.key for each name in `names`.
-- @param dir an existing directory
-- @param names the token names that may get a key
-- @param opts { label = "--key-dir" }
-- @return the store (with `path_of(name)`, `existing(name)`), or nil and a message
function keystore.dir(dir, names, opts)
  local label = opts and opts.label or dir
  local kind = type(dir) == "string" and dir ~= "" and core.path_kind(dir)
  if kind == "symlink" then kind = os.rename(dir, dir) and core.path_kind(dir .. "/.") end
  if kind ~= "directory" then return nil, ("%s %s: no such directory"):format(label, tostring(dir)) end
  local slots, by_file = {}, {}
  local function abandon()
    for _, s in pairs(slots) do if not s.written then remove(s) end end
  end
  for _, name in ipairs(names) do
    local file = keystore.file_name(name)
    if by_file[file] then
      abandon()
      return nil, ("%s: tokens %q and %q would share the key file %s"):format(label, by_file[file], name, file)
    end
    by_file[file] = name
    local path = dir .. "/" .. file
    local s, err = slot(path, path)
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
    store = function(key, _, name, old)
      local s = slots[name]
      if not s then return nil, "no key file was prepared for " .. tostring(name) end
      return store_in(s, key, old)
    end,
    load = function(token, name)
      local s = slots[name]
      return s and load_from(s, token) or nil
    end,
    commit = function(_, name)
      local s = slots[name]
      if not s then return true end
      return commit(s)
    end,
    discard = function(_, name) if slots[name] then remove(slots[name]) end end,
    retired = function(old, name) if slots[name] then keystore.drop_prev(slots[name].path, old and old.key) end end,
    abandon = abandon,
    stored = function(name)
      local s = slots[name]
      return s ~= nil and (s.written == true or s.staged_earlier == true)
    end,
  }
end

return keystore
