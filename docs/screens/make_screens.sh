#!/bin/bash
# Screenshots of every screen, made by the real program: lh-device simulate with the
# built-in demo department, a script on stdin, SDL's dummy driver (no display needed).
# Usage: docs/screens/make_screens.sh [LH_DEVICE]   (default: .venv/bin/lh-device)
# Touch coordinates are for the 800x480 layout (the official 7" screen).
set -euo pipefail
cd "$(dirname "$0")"
OUT="$PWD"
LH="${1:-$(cd ../.. && pwd)/.venv/bin/lh-device}"
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1
unset DISPLAY WAYLAND_DISPLAY

# Buttons at 800x480: footer centre y=433; one footer button x=400, two x=204/609;
# staff nav (self-service) x=87 evacuation, 243 closing, 399 technician, 555 language, 711 lock;
# idle "Personal" (701,433); PIN keys 2=(622,115) 5=(622,216) 8=(622,317) 0=(622,418) OK=(734,418);
# first row's button on the guardian screen (681,128); a guardian of four: ▼ "1 barn till" (560,30),
# Done (595,433).
run() {  # run CLOCK [extra options...] < script
    local dir
    dir="$(mktemp -d)"
    (cd "$dir" && "$LH" simulate --clock "$@") >/dev/null
    rm -rf "$dir"
}

run 07:52 <<SCRIPT
screenshot $OUT/idle.png
tap 04AABBCC
screenshot $OUT/guardian-one-child.png
touch 400 433
tap 04A1B2C3
screenshot $OUT/guardian-several-children.png
touch 681 128
screenshot $OUT/undo.png
touch 400 433
tap DEADBEEF
screenshot $OUT/unknown-tag.png
touch 400 433
tap 04B1B2B3
screenshot $OUT/guardian-four-children.png
touch 560 30
screenshot $OUT/guardian-four-children-page-2.png
touch 595 433
touch 701 433
touch 622 115
touch 622 216
touch 622 317
screenshot $OUT/staff-pin.png
quit
SCRIPT

run 16:45 <<SCRIPT
tap 04AABBCC
touch 400 433
tap 04A1B2C3
touch 204 433
touch 400 433
tap 04778899
touch 400 433
tap DEADBEEF
touch 400 433
tap 04CAFE01
screenshot $OUT/staff-list-deviations.png
touch 87 433
screenshot $OUT/evacuation-list.png
touch 400 433
touch 399 433
screenshot $OUT/technician.png
touch 400 433
touch 555 433
screenshot $OUT/staff-list-english.png
touch 711 433
screenshot $OUT/idle-english.png
quit
SCRIPT

run 18:10 <<SCRIPT
tap 04AABBCC
touch 400 433
tap 04A1B2C3
touch 204 433
touch 400 433
screenshot $OUT/idle-closing.png
tap 04CAFE01
screenshot $OUT/closing-list.png
quit
SCRIPT

# a hallway notice (infotavla) from the roster: the clock moves into the header to make room
run 07:52 --notice "Fotografering fredag 4/12 · Kom gärna i tid" <<SCRIPT
screenshot $OUT/idle-notice.png
quit
SCRIPT

# a lost tag blocked at central (lh-central tag block): refused in red, no name, nothing recorded
run 07:52 --blocked 04A1B2C3 <<SCRIPT
tap 04A1B2C3
screenshot $OUT/tag-blocked.png
quit
SCRIPT

# the tag reader stops answering (simulate has none: the script says what reader.error would);
# staff get in with the PIN, the technician screen says since when and why
run 07:40 <<SCRIPT
reader broken the MFRC522 on SPI 0.0 stopped answering (VersionReg 0x00): check wiring and 3.3 V
screenshot $OUT/idle-reader-not-working.png
touch 701 433
touch 622 115
touch 622 216
touch 622 317
touch 622 418
touch 734 418
wait 0.5
touch 399 433
screenshot $OUT/technician-reader-not-working.png
quit
SCRIPT

# nothing listens on port 9: the link is down and taps wait in the outbox
run 08:05 --broker mqtt://127.0.0.1:9 <<SCRIPT
tap 04AABBCC
touch 400 433
tap 04A1B2C3
touch 204 433
touch 400 433
screenshot $OUT/idle-offline-unsent.png
quit
SCRIPT

run 08:10 --handover-mode staff_confirmed <<SCRIPT
tap 04AABBCC
screenshot $OUT/handover-waiting-for-staff.png
touch 400 433
tap 04A1B2C3
touch 204 433
touch 400 433
tap 04CAFE01
screenshot $OUT/pending-handovers.png
quit
SCRIPT
echo "screens written to $OUT"
