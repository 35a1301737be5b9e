-- zsh completion, as a zsh user meets it: a real zsh in a terminal (tmux),
-- the script of `mistapi-tokens completion zsh` sourced after compinit, and
-- Tab pressed. The candidates come from the program itself, as for bash.
local core = require "mistapi.core"
local shell = require "support.shell"

local ROOT = os.getenv("PWD") or "."
local q = shell.quote

local function random_hex(n)
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(n)
  f:close()
  return (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

describe("mistapi-tokens completion zsh", function()
  local socket, home

  local function tmux(args)
    local p = assert(io.popen("tmux -L " .. socket .. " " .. args .. " 2>/dev/null"))
    local out = p:read("*a")
    p:close()
    return out
  end

  local function wait_for(pattern)
    for _ = 1, 200 do   -- about 10 s at most
      local screen = tmux("capture-pane -p -t z")
      if screen:find(pattern) then return true, screen end
      core.sleep(0.05)
    end
    return false, tmux("capture-pane -p -t z")
  end

  setup(function()
    socket = "mistapi-zsh-" .. random_hex(8)
    home = assert(io.popen("mktemp -d")):read("*l")
    local cmd = ("env -i HOME=%s TERM=xterm PATH=%s:/usr/bin:/bin zsh -f"):format(q(home), q(ROOT .. "/bin"))
    tmux(("new-session -d -s z -x 160 -y 30 %s"):format(q(cmd)))
    tmux("send-keys -t z " .. q("PS1='zsh> '; autoload -Uz compinit && compinit -u -d " .. home
      .. "/.zcompdump; source <(mistapi-tokens completion zsh); echo sourced-$?") .. " Enter")
    assert(wait_for("sourced%-0"), "the script was sourced")
  end)

  teardown(function()
    if socket then tmux("kill-server") end
    if home then os.execute("rm -rf " .. q(home)) end
  end)

  it("completes commands, subcommands and options from the program", function()
    tmux("send-keys -t z C-u 'mistapi-tokens who' Tab")
    local ok, screen = wait_for("zsh> mistapi%-tokens whoami")
    assert.is_true(ok, screen)
    tmux("send-keys -t z -l -- ' --js'")
    tmux("send-keys -t z Tab")
    ok, screen = wait_for("zsh> mistapi%-tokens whoami %-%-json")
    assert.is_true(ok, screen)
    tmux("send-keys -t z C-u 'mistapi-tokens self rot' Tab")
    ok, screen = wait_for("zsh> mistapi%-tokens self rotate")
    assert.is_true(ok, screen)
  end)
end)
