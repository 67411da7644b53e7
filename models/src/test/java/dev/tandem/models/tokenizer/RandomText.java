package dev.tandem.models.tokenizer;

import java.util.Random;

/** Random strings with the hard parts of Unicode text: emoji, CJK, combining marks, whitespace runs, digits. */
final class RandomText {
    private RandomText() {}

    static String next(Random rnd, int maxCodePoints) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(maxCodePoints + 1);
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(12)) {
                case 0 -> sb.appendCodePoint(0x1F600 + rnd.nextInt(80)); // emoji
                case 1 -> sb.appendCodePoint(0x4E00 + rnd.nextInt(0x5000)); // CJK
                case 2 -> sb.appendCodePoint(0x0300 + rnd.nextInt(0x70)); // combining marks
                case 3 -> sb.append(" ".repeat(1 + rnd.nextInt(4)));
                case 4 -> sb.append("\n\t\r\u3000\u00a0".charAt(rnd.nextInt(5)));
                case 5 -> sb.append((char) ('0' + rnd.nextInt(10)));
                case 6 -> sb.append(".,!?'\"()-<>|_".charAt(rnd.nextInt(13)));
                case 7 -> sb.appendCodePoint(0x00C0 + rnd.nextInt(0x180)); // Latin with accents
                case 8 -> sb.appendCodePoint(0x0400 + rnd.nextInt(0x100)); // Cyrillic
                case 9 -> sb.append("'s're'M");
                default -> sb.append((char) ('a' + rnd.nextInt(26)));
            }
        }
        return sb.toString();
    }
}
