// docker's merge, at container create, of the image's config into the container's Config: what
// the request leaves unset comes from the image.
#pragma once

#include "base/error.h"
#include "base/json.h"

namespace berth::spec {

// Docker's merge at create: the returned Config is what `docker inspect` shows as Config.
//  - User, WorkingDir, StopSignal: the request's, else the image's.
//  - Env: the request's, then each image variable whose name the request does not set.
//  - Cmd/Entrypoint: with no Entrypoint in the request, Cmd defaults to the image's and an
//    absent (null) Entrypoint to the image's; a request that sets Entrypoint drops the image's
//    Cmd. Entrypoint [""] means none. Neither left: InvalidArgument "no command specified".
//  - Healthcheck: the image's, with the request's fields (Test, Interval, Timeout, StartPeriod,
//    StartInterval, Retries) taking precedence one by one.
//  - ExposedPorts, Volumes, Labels: union, the request winning on a shared key.
//  - Everything else (Image, Hostname, Tty, OnBuild, …) as the request has it.
// `image_config` is the image config's "config" object and may be null.
Result<Json> merge_image_config(const Json& request_config, const Json& image_config);

}  // namespace berth::spec
