--- The key-file option: the new key goes to a file only its owner can read.
-- The file is made (empty, mode 0600, refusing an existing file or a
-- symlink) before the token is created, so a path that can't be written fails
-- before anything is sent; the key is then written through the descriptor
-- that made the file, never by opening the path again. The C core does the
-- open (core.create_private_file): plain Lua can't set a mode or refuse an
-- existing file, and Debian's lua-posix has no Lua 5.4 build.
-- @module mistapi.cli.keyfile

local core = require "mistapi.core"

local keyfile = {}

--- Creates PATH empty with mode 0600; it must not exist yet.
-- @return a handle for `finish`/`discard`, or nil and a message in CLI words
function keyfile.create(path)
  if path == "" then return nil, "--key-file needs a path" end
  local f, msg, code = core.create_private_file(path)
  if f then return f end
  local why
  if code == 17 then  -- EEXIST (a symlink there too)
    why = "the file exists; not overwriting it"
  elseif code == 2 or code == 20 then  -- ENOENT, ENOTDIR
    why = "no such directory"
  else
    why = "cannot create the file (" .. tostring(msg):lower() .. ")"
  end
  return nil, ("--key-file %s: %s"):format(path, why)
end

--- Writes the key into the file made by `create`, and closes it.
-- @return true, or nil and a message (the file is then removed)
function keyfile.finish(f, key)
  local ok, err = f:write(key .. "\n")
  if ok then ok, err = f:close() end
  if ok then return true end
  f:discard()
  return nil, "--key-file: " .. tostring(err):lower()
end

--- Removes the file `create` made, when the token could not be created.
function keyfile.discard(f)
  f:discard()
end

return keyfile
