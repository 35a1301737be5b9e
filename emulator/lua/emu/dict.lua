-- The one shared dict that holds all state (lua_shared_dict emu).
return ngx.shared.emu
