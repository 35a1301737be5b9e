/* Shared declarations of the C core: each concern registers its functions
 * into the module table that sits on top of the stack. */
#ifndef MISTAPI_CORE_H
#define MISTAPI_CORE_H

#include "compat.h"

/* The model metatables' registry names are in schema.h; the Lua layer adds __tostring. */
MISTAPI_LOCAL void mistapi_register_http(lua_State *L);   /* http_session.c */
MISTAPI_LOCAL void mistapi_register_json(lua_State *L);   /* json_decode.c, json_encode.c */
MISTAPI_LOCAL void mistapi_register_model(lua_State *L);  /* model_token.c, validate.c */
MISTAPI_LOCAL void mistapi_register_clock(lua_State *L);  /* clock.c */
MISTAPI_LOCAL void mistapi_register_private_file(lua_State *L);  /* private_file.c */
MISTAPI_LOCAL void mistapi_register_interrupt(lua_State *L);     /* interrupt.c */
MISTAPI_LOCAL void mistapi_register_lock_file(lua_State *L);     /* lock_file.c */
MISTAPI_LOCAL void mistapi_register_digest(lua_State *L);        /* digest.c */
MISTAPI_LOCAL void mistapi_register_redis_reply(lua_State *L);   /* redis_reply.c */
MISTAPI_LOCAL void mistapi_register_redis_conn(lua_State *L);    /* redis_conn.c */

#endif
