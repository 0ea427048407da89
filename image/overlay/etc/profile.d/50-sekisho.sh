# Login shells: no core files, and an idle root shell on the console or over SSH ends
# after 15 minutes (the umask, 027, is set in /etc/profile and /etc/login.defs).
ulimit -c 0
TMOUT=900
readonly TMOUT
export TMOUT
