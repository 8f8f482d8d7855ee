/*
 * engine.h - lab 13: the engine's API. What you write here is the part of `minidock daemon`
 * (lib/cli/daemon.h) that speaks Docker's language: which version of the API a client asks for,
 * how a container's two output streams share one connection, and how a create request becomes
 * the runtime's own command.
 */
#ifndef MINIDOCK_ENGINE_H
#define MINIDOCK_ENGINE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/*
 * A request's path without its version: Docker's clients prefix every path with the version of
 * the API they speak ("/v1.41/containers/json"); a path without one is the daemon's own version.
 * Write the path the routes know ("/containers/json") into out (size bytes).
 *
 *   "/v1.41/containers/json"  -> "/containers/json"
 *   "/containers/json"        -> "/containers/json"       (no version: as it is)
 *   "/v1.12/_ping"            -> "/_ping"                  (the oldest version served)
 *   "/v1.42/info"             -> EINVAL "client version 1.42 is too new. Maximum supported API
 *                                version is 1.41"
 *   "/v1.11/info"             -> EINVAL "client version 1.11 is too old. Minimum supported API
 *                                version is 1.12, please upgrade your client to a newer version"
 *   "/v1/info", "/v1.x/info", "/vfoo/info" -> as they are (not a version: no route has them)
 *
 * A version is "v", a number, ".", a number, and the path's next "/" (or its end: "/v1.41" is
 * "/"). Versions compare as numbers (1.9 is older than 1.12). A path that does not fit in out:
 * ENAMETOOLONG. Returns 0, or -1 with err.
 */
int api_path(const char *url, char *out, size_t size, err_t *err);

/*
 * Write one frame of Docker's multiplexed stream on fd: what a container without a terminal
 * wrote on its stdout (stream 1) or stderr (stream 2) travels on one connection, each piece
 * after an 8-byte header:
 *
 *   [stream, 0, 0, 0, SIZE as 4 bytes big-endian]  then SIZE bytes
 *
 * A piece of more than 0xffffffff bytes goes as several frames; a piece of 0 bytes sends
 * nothing. Every byte is written (write(2) may take fewer, or be interrupted: EINTR). Returns 0,
 * or -1 with errno (EPIPE: the client went away; EINVAL: a stream other than 0, 1 or 2).
 */
int api_frame(int fd, int stream, const void *data, size_t len);

/*
 * A create request (POST /containers/create?name=NAME, body: Docker's ContainerConfig with its
 * HostConfig) as the arguments of `minidock create`, appended to args (a JSON array of strings),
 * so that one parser checks the CLI's and the API's containers alike. name may be NULL or "".
 *
 *   body field                     create's arguments
 *   ?name=NAME                     --name NAME
 *   Hostname, Domainname           -h HOSTNAME (Domainname: refused, EINVAL, when not "")
 *   User, WorkingDir               -u USER, -w DIR              (when not "")
 *   Env ["K=V", ...]               -e K=V for each
 *   Labels {"k": "v"}              -l k=v for each
 *   Tty, OpenStdin (true)          -t, -i
 *   Volumes {"/data": {}}          -v /data for each (an anonymous volume), unless a bind of
 *                                  Binds has that target (docker-compose sends both)
 *   Healthcheck                    refused, EINVAL "Healthcheck is not supported"
 *   HostConfig.Binds ["a:b[:ro]"]  -v a:b[:ro] for each
 *   HostConfig.PortBindings        -p [IP:]HOSTPORT:PORT/PROTO for each binding of each port
 *     {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}      (HostIp "" leaves IP: out)
 *   HostConfig.NetworkMode         --network MODE (when not "" nor "default")
 *   NetworkingConfig.EndpointsConfig {"NET": {"Aliases": ["web"]}}
 *                                  --network-alias web for each alias of each network
 *   HostConfig.AutoRemove, Privileged, ReadonlyRootfs, Init (true)
 *                                  --rm, --privileged, --read-only, --init
 *   HostConfig.CapAdd, CapDrop, SecurityOpt
 *                                  --cap-add X, --cap-drop X, --security-opt X for each
 *   HostConfig.RestartPolicy {"Name": "on-failure", "MaximumRetryCount": 3}
 *                                  --restart on-failure:3 (NAME alone when the count is 0;
 *                                  nothing when NAME is "" or "no")
 *   HostConfig.Memory, NanoCpus, PidsLimit (> 0)
 *                                  -m BYTES, --cpus N.NNN (NanoCpus / 1e9), --pids-limit N
 *   Entrypoint ["a", "b"]          --entrypoint a, and "b" before Cmd's words (a string: one
 *                                  word; [] or "": --entrypoint "" (none))
 *   Image                          the image (required: EINVAL "Image is required" without)
 *   Cmd ["c", "d"]                 after the image (a string: one word)
 *
 * Env, Binds, CapAdd, CapDrop and SecurityOpt are lists of strings (a single string is refused);
 * Cmd and Entrypoint take a list or one string, as Docker's API does.
 *
 * A field absent or null is left out. A field of the wrong JSON type is refused, naming it
 * (EINVAL "Env: a list of strings"; Labels, Volumes or PortBindings not an object too). Fields
 * not in the table (ExposedPorts, StopSignal, ...) are ignored, as Docker ignores the ones it
 * does not know. Returns 0, or -1 with err (args may then hold some arguments).
 */
int api_create_args(const json_t *body, const char *name, json_t *args, err_t *err);

#endif
