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

-- Ctrl-C reaches the child, not us (system() ignores it while it waits):
-- a child ended by SIGINT or SIGTERM ends the whole run. A shell reports a
-- signalled child as exit 128 + n.
local function stop_on_signal(how, code)
  if (how == "signal" and (code == 2 or code == 15)) or (how == "exit" and (code == 130 or code == 143)) then
    error("interrupted", 0)
  end
end

-- Runs a shell command line; returns its stdout and exit code.
function M.capture(line)
  local p = assert(io.popen(line, "r"))
  local out = p:read("a")
  local _, how, code = p:close()
  stop_on_signal(how, code)
  return out, code or 0
end

-- Runs a shell command line; true when it exits 0.
function M.run(line)
  local ok, how, code = os.execute(line)
  stop_on_signal(how, code)
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
