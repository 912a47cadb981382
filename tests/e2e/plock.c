/*
 * plock: POSIX byte-range locks (fcntl) for the NFSv4 lock tests in the guest.
 *   plock try  FILE r|w START LEN          F_SETLK once: prints LOCKED (exit 0) or DENIED (exit 1)
 *   plock test FILE r|w START LEN          F_GETLK: prints FREE (exit 0) or CONFLICT (exit 1)
 *   plock hold FILE r|w START LEN MARKER STOP
 *       F_SETLK, creates MARKER, waits until STOP exists, unlocks, exits 0
 *       (prints LOCKED, then UNLOCKED; exit 2 if the lock fails, 3 if unlock fails)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 6) { fprintf(stderr, "usage: plock try|test|hold FILE r|w START LEN [MARKER STOP]\n"); return 64; }
    const char *cmd = argv[1];
    int fd = open(argv[2], O_RDWR | O_CREAT, 0666);
    if (fd < 0) { perror("open"); return 65; }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = argv[3][0] == 'w' ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = atoll(argv[4]);
    fl.l_len = atoll(argv[5]);
    if (strcmp(cmd, "test") == 0) {
        if (fcntl(fd, F_GETLK, &fl) < 0) { perror("F_GETLK"); return 66; }
        if (fl.l_type == F_UNLCK) { puts("FREE"); return 0; }
        printf("CONFLICT %lld %lld\n", (long long)fl.l_start, (long long)fl.l_len);
        return 1;
    }
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        printf("DENIED %s\n", strerror(errno));
        fflush(stdout);
        return strcmp(cmd, "hold") == 0 ? 2 : 1;
    }
    puts("LOCKED");
    fflush(stdout);
    if (strcmp(cmd, "hold") == 0 && argc >= 8) {
        int m = open(argv[6], O_WRONLY | O_CREAT, 0666);
        if (m >= 0) close(m);
        while (access(argv[7], F_OK) != 0) usleep(200000);
        fl.l_type = F_UNLCK;
        if (fcntl(fd, F_SETLK, &fl) < 0) { perror("unlock"); return 3; }
        puts("UNLOCKED");
    }
    close(fd);
    return 0;
}
