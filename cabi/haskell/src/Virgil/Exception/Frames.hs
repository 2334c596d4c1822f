{-# LANGUAGE OverloadedStrings #-}

-- | Traceback frames from GHC's call stacks: the frames of a 'CallStack' or of the text that
-- @error@ attaches to an 'Control.Exception.ErrorCall', without the kit's own frames, and the
-- exported function's frame given to a user failure that has none.
--
-- Layer: exception records. Imports "Virgil.Exception.Names" and "Virgil.Exception.Record".
module Virgil.Exception.Frames
  ( isGlueFrame
  , withUserFrame
  , callStackFrames
  , parseCallStackText
  ) where

import Data.Text (Text)
import qualified Data.Text as T
import GHC.Stack (CallStack, SrcLoc (..), getCallStack)
import Virgil.Exception.Names
import Virgil.Exception.Record

-- | A frame of the kit's own code (a @Virgil.*@ module), which never appears in a record.
isGlueFrame :: Frame -> Bool
isGlueFrame f =
  fn == "Virgil" || "Virgil." `T.isPrefixOf` fn || "cabi/haskell/src/Virgil" `T.isInfixOf` frameFile f
  where
    fn = frameFunction f

-- | Gives a record of a user failure (this language's, not a framework name @virgil.*@) the
-- exported function's frame when its outermost level has no frame of its own (an
-- 'IOException', an 'ArithException', a user's type thrown with 'throwIO'), and names a frame
-- that lies on the export's own line (the outermost call of a 'HasCallStack' function, whose
-- enclosing function GHC does not know) after the exported function.
withUserFrame :: Frame -> ExceptionRecord -> ExceptionRecord
withUserFrame site r
  | excLanguage r /= language || isFrameworkName (excName r) = r
  | null (excTraceback r) = r {excTraceback = [site]}
  | otherwise = r {excTraceback = map relabel (excTraceback r)}
  where
    relabel f
      | frameFile f == frameFile site && frameLine f == frameLine site && not ("." `T.isInfixOf` frameFunction f) =
          f {frameFunction = frameFunction site}
      | otherwise = f

-- | The frames of a call stack, oldest call first, without the kit's own ('isGlueFrame'). GHC
-- records, for each call, the function called and the location of the call, which lies in the
-- function that made it (the next entry's function). A frame names that enclosing function
-- (qualified by its module), or only the module for the outermost call, whose caller has no
-- 'HasCallStack'.
callStackFrames :: CallStack -> [Frame]
callStackFrames cs =
  filter (not . isGlueFrame) $
    framesOf
      [ (T.pack fn, T.pack (srcLocFile l), srcLocStartLine l, srcLocStartCol l, T.pack (srcLocModule l))
      | (fn, l) <- getCallStack cs
      ]

-- Entries newest first: (function called, file, line, column, module of the call site).
framesOf :: [(Text, Text, Int, Int, Text)] -> [Frame]
framesOf = reverse . go
  where
    go [] = []
    go ((_, file, line, col, m) : rest) = Frame (enclosing m rest) file line col : go rest
    enclosing m ((fn, _, _, _, _) : _) = if T.null m then fn else m <> "." <> fn
    enclosing m [] = m

-- | The frames of a call stack printed by 'GHC.Stack.prettyCallStack', as an 'ErrorCall'
-- carries it: lines like @"  error, called at src/M.hs:12:5 in main:M"@. Lines that do not parse
-- become frames with only a function name.
parseCallStackText :: String -> [Frame]
parseCallStackText txt = framesOf (concatMap entry (T.lines (T.pack txt)))
  where
    entry line = case T.breakOn ", called at " (T.strip line) of
      (fn, rest)
        | not (T.null rest) -> [location fn (T.drop (T.length ", called at ") rest)]
        | T.null (T.strip line) || "CallStack (from" `T.isPrefixOf` T.strip line -> []
        | otherwise -> [(T.strip line, T.empty, 0, 0, T.empty)]
    location fn loc =
      let (place, pkgMod) = T.breakOnEnd " in " loc
          place' = if T.null place then loc else T.dropEnd (T.length " in ") place
          m = if T.null place then T.empty else T.takeWhileEnd (/= ':') pkgMod
          parts = T.splitOn ":" place'
       in case reverse parts of
            (c : l : fileParts@(_ : _))
              | Just l' <- number l, Just c' <- number c ->
                  (fn, T.intercalate ":" (reverse fileParts), l', c', m)
            _ -> (fn, place', 0, 0, m)
    number t = case reads (T.unpack t) of
      [(n, "")] -> Just n
      _ -> Nothing
