/*
 * testnotice.h — the text of a municipal notice (お知らせ), for Japanese pages drawn
 * by tests and benchmarks: kanji, kana and punctuation as a real notice has them,
 * 180 characters of three UTF-8 bytes each, repeated to fill a page.
 */
#ifndef SEKISHO_TESTNOTICE_H
#define SEKISHO_TESTNOTICE_H

static const char testnotice_text[] =
	"住民票の写しの交付を申請される方は、本人確認書類をお持ちのうえ、市民課窓口までお"
	"越しください。代理人が申請する場合は、委任状が必要です。転出届は、転出予定日の十"
	"四日前から受け付けます。マイナンバーカードをお持ちの方は、コンビニエンスストアで"
	"も証明書を取得できます。手数料は一通につき三百円です。郵送による請求の場合は、定"
	"額小為替を同封してください。令和七年四月一日から、窓口の受付時間は午前八時三十分"
	"から午後五時十五分までとなります。";

#endif
