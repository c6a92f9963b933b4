from odoo.tests import TransactionCase, tagged

from odooops.api.ratelimit import Limit


@tagged("post_install", "-at_install")
class TestRateCounter(TransactionCase):

    def test_allows_up_to_the_limit_then_refuses_without_counting(self):
        Counter = self.env["odooops.rate.counter"]
        limit = Limit(5, 60)
        now = 1_800_000_000.0           # the start of a window
        answers = [Counter._hit("test:a", limit, now=now + i, cr=self.env.cr) for i in range(7)]
        self.assertEqual([a[0] for a in answers], [True] * 5 + [False] * 2)
        self.assertEqual(answers[4][2], 0)
        self.assertEqual(answers[5][1], 55)       # retry when the window rolls over
        self.env.cr.execute("SELECT hits FROM odooops_rate_counter WHERE bucket = 'test:a'")
        self.assertEqual(self.env.cr.fetchone()[0], 5)
        self.assertTrue(Counter._hit("test:b", limit, now=now, cr=self.env.cr)[0])

    def test_previous_window_still_weighs_early_in_the_next(self):
        Counter = self.env["odooops.rate.counter"]
        limit = Limit(10, 60)
        start = 1_800_000_000.0
        for i in range(10):
            Counter._hit("test:c", limit, now=start + i, cr=self.env.cr)
        # 6 s into the next window 90 % of the previous 10 still count: one request fits.
        self.assertTrue(Counter._hit("test:c", limit, now=start + 66, cr=self.env.cr)[0])
        self.assertFalse(Counter._hit("test:c", limit, now=start + 66, cr=self.env.cr)[0])
        # Near its end, the previous window has faded out.
        self.assertTrue(Counter._hit("test:c", limit, now=start + 119, cr=self.env.cr)[0])
