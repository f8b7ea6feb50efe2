#!/usr/bin/env bash
# Generates the sample bank plan's prompts as 8 kHz mono 16-bit WAVs with espeak-ng and sox
# (Debian: apt-get install -y espeak-ng sox). Run from anywhere; writes next to this script.
# The output is committed, so only run this after changing the texts below.
set -euo pipefail
cd "$(dirname "$0")"

say() { # lang voice file text
    local lang=$1 voice=$2 file=$3 text=$4
    mkdir -p "$(dirname "$lang/$file")"
    espeak-ng -v "$voice" -s 180 -w /tmp/ivr-prompt.wav "$text"
    # Trim espeak's leading and trailing silence: the files are committed, keep them small.
    sox /tmp/ivr-prompt.wav -r 8000 -c 1 -b 16 "$lang/$file" \
        silence 1 0.02 1% reverse silence 1 0.02 1% reverse norm -3
}

en() { say en en-us "$1" "$2"; }
ko() { say ko ko "$1" "$2"; }

en welcome.wav "Welcome to Switchboard Bank."
ko welcome.wav "스위치보드 은행에 오신 것을 환영합니다."
en language.wav "For English, press 1."
ko language.wav "한국어는 2번을 누르세요."
en main_menu.wav "For your balance, press 1. For cards, press 2. For loans, press 3. To speak to an agent, press 0."
ko main_menu.wav "잔액 조회는 1번, 카드는 2번, 대출은 3번, 상담원 연결은 0번을 누르세요."
en invalid.wav "Sorry, that is not a valid choice."
ko invalid.wav "잘못 누르셨습니다."
en no_input.wav "We did not receive your choice."
ko no_input.wav "입력이 없습니다."
en enter_account.wav "Please enter your account number, then press hash."
ko enter_account.wav "계좌 번호를 누르신 후 우물 정자를 눌러 주세요."
en you_entered.wav "You entered"
ko you_entered.wav "입력하신 번호는"
en balance_sms.wav "Your balance will be sent to you by text message."
ko balance_sms.wav "잔액을 문자 메시지로 보내 드립니다."
en cards_menu.wav "To report a lost or stolen card, press 1. To go back, press 9."
ko cards_menu.wav "카드 분실 신고는 1번, 이전 메뉴는 9번을 누르세요."
en loans.wav "Please hold for a loan advisor."
ko loans.wav "대출 상담원을 연결해 드리겠습니다."
en transfer.wav "Please hold while we connect you to an agent."
ko transfer.wav "상담원을 연결해 드리겠습니다."
en premium.wav "Thank you for being a premium customer. Connecting you to your priority team."
ko premium.wav "프리미엄 고객님, 전담 상담팀으로 연결해 드리겠습니다."
en after_hours.wav "Our center is closed. We are open weekdays from nine to six, Korea time. Goodbye."
ko after_hours.wav "지금은 상담 시간이 아닙니다. 평일 오전 아홉 시부터 오후 여섯 시까지 운영합니다."

# Queue announcements (position and estimated wait; numbers from digits/).
en queue_position.wav "You are caller number"
ko queue_position.wav "고객님의 대기 순서는"
en queue_wait.wav "Your estimated wait is about"
ko queue_wait.wav "예상 대기 시간은 약"
en minutes.wav "minutes."
ko minutes.wav "분입니다."
# Queue exit keys: a callback's confirmation (the number follows, digit by digit).
en callback.wav "We will call you back at"
ko callback.wav "다음 번호로 다시 전화 드리겠습니다."
en queue_options.wav "To leave a message, press 1. To be called back instead of waiting, press 2."
ko queue_options.wav "메시지를 남기시려면 1번, 기다리지 않고 전화를 받으시려면 2번을 누르세요."

# Digits for `say` in digits mode (both languages) and the English number vocabulary.
for d in 0 1 2 3 4 5 6 7 8 9; do en "digits/$d.wav" "$d"; done
for n in 10 11 12 13 14 15 16 17 18 19 20 30 40 50 60 70 80 90; do en "digits/$n.wav" "$n"; done
for w in hundred thousand million billion; do en "digits/$w.wav" "$w"; done
ko_digits=(영 일 이 삼 사 오 육 칠 팔 구)
for d in 0 1 2 3 4 5 6 7 8 9; do ko "digits/$d.wav" "${ko_digits[$d]}"; done

# Music on hold: a soft two-note loop, synthesised so no licensed audio is needed.
sox -n -r 8000 -c 1 -b 16 moh.wav synth 1 sine 392 synth 1 sine mix 494 : \
    synth 1 sine 440 synth 1 sine mix 523 vol 0.3
rm -f /tmp/ivr-prompt.wav
