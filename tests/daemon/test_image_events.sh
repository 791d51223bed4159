#!/usr/bin/env bash
# docker's image events (`docker events --filter type=image`), as dockerd 20.10 publishes them:
# import (with a tag event first when it names one), tag, untag and delete (named by the image ID,
# one untag per name), commit's tag, prune (no ID, the bytes reclaimed), save and load (one per
# image). The image's labels are attributes while it exists. A container prune has its prune
# event too.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox
busybox_id=$(docker image inspect -f '{{.Id}}' busybox)
START=$(date +%s.%N)

tar -C "$TMP/busybox-rootfs" -c . |
	docker import --change 'LABEL a=b' --change 'CMD ["sh"]' - lab:1 >/dev/null
lab=$(docker image inspect -f '{{.Id}}' lab:1)
untagged=$(tar -C "$TMP/busybox-rootfs" -c bin | docker import -)
docker tag lab:1 lab:2
docker rmi lab:2 >/dev/null
docker run --name committer lab:1 true
docker commit committer lab:3 >/dev/null
committed=$(docker image inspect -f '{{.Id}}' lab:3)
docker rm committer >/dev/null
docker image prune -f >/dev/null
docker rmi lab:3 >/dev/null
docker save lab:1 busybox -o "$TMP/saved.tar"
docker rmi busybox >/dev/null
docker load -i "$TMP/saved.tar" >/dev/null
docker container prune -f >/dev/null
END=$(date +%s.%N)

events=$(docker events --since "$START" --until "$END" \
	--filter type=image --filter type=container --filter event=prune --filter event=tag \
	--filter event=untag --filter event=delete --filter event=import --filter event=save \
	--filter event=load \
	--format '{{.Type}} {{.Action}} {{.ID}} {{.Actor.ID}} {{with .Actor.Attributes.a}}a={{.}} {{end}}{{with .Actor.Attributes.name}}{{.}}{{end}}{{with .Actor.Attributes.reclaimed}}{{.}}{{end}}' |
	sed -E 's/^(image|container) prune( +)[0-9]+$/\1 prune\2N/')
expected="image tag $lab $lab a=b lab:1
image import $lab $lab a=b $lab
image import $untagged $untagged $untagged
image tag $lab $lab a=b lab:2
image untag $lab $lab a=b $lab
image tag $committed $committed a=b lab:3
image delete $untagged $untagged $untagged
image prune   N
image untag $committed $committed a=b $committed
image delete $committed $committed $committed
image save $lab $lab a=b $lab
image save $busybox_id $busybox_id $busybox_id
image untag $busybox_id $busybox_id $busybox_id
image delete $busybox_id $busybox_id $busybox_id
image load $lab $lab a=b $lab
image load $busybox_id $busybox_id $busybox_id
container prune   N"
check_eq "image events as dockerd publishes them" "$expected" "$events"

finish
