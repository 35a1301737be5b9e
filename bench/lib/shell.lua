-- Running commands from the runner: quoting, capturing output, exit codes.
local M = {}

function M.quote(s)
  s = tostring(s)
  if s:match("^[%w@%%+=:,./_-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

function M.join(argv)
  local out = {}
  for i, v in ipairs(argv) do out[i] = M.quote(v) end
  return table.concat(out, " ")
end

-- Runs a shell command line; returns its stdout and exit code.
function M.capture(line)
  local p = assert(io.popen(line, "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code or 0
end

-- Runs a shell command line; true when it exits 0.
function M.run(line)
  local ok = os.execute(line)
  return ok == true
end

function M.have(prog)
  return M.run("command -v " .. M.quote(prog) .. " >/dev/null 2>&1")
end

function M.concat(...)
  local out = {}
  for _, t in ipairs({ ... }) do
    for _, v in ipairs(t) do out[#out + 1] = v end
  end
  return out
end

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

return M
