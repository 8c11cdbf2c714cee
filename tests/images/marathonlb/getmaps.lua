-- Stand-in: registers the service(s) marathon-lb's getmaps.lua provides; each answers what it is.
core.register_service("getvhostmap", "http", function(applet)
  local body = "getvhostmap\n"
  applet:set_status(200)
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
core.register_service("getappmap", "http", function(applet)
  local body = "getappmap\n"
  applet:set_status(200)
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
