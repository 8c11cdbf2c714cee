-- Stand-in: registers the service(s) marathon-lb's getpids.lua provides; each answers what it is.
core.register_service("getpids", "http", function(applet)
  local body = "getpids\n"
  applet:set_status(200)
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
