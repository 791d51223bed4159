// The bodies of POST /containers/create and /containers/{id}/exec as dockerd decodes them: into Go
// structs, so fields it does not know are ignored and never stored, and keys match
// case-insensitively ("cmd" is Cmd). berthd keeps its container records as JSON; without this,
// whatever a client sent (any key, nested up to the parser's limit) would be kept in metadata.db
// and shown by inspect.
#pragma once

#include "base/error.h"
#include "base/json.h"

namespace berth::api {

// The fields of `body` that docker's ContainerConfigWrapper (Config, HostConfig,
// NetworkingConfig, API 1.47) has, under their canonical names, recursively. Leaf values keep
// their JSON type for the engine to check, but may not nest: a string, number or boolean
// field holding an object of objects, or a map of strings holding an object, is a 400 as it is
// for dockerd ("Config.Labels.a: must be a string, not object").
Result<Json> known_create_fields(const Json& body);
// The same for the Config of POST /commit (container.Config: what the body has of the create
// wrapper's Config; HostConfig and NetworkingConfig are dropped, as dockerd drops them).
Result<Json> known_config_fields(const Json& body);
// The same for POST /containers/{id}/exec (ExecOptions).
Result<Json> known_exec_fields(const Json& body);

}  // namespace berth::api
